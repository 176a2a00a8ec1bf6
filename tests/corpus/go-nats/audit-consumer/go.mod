module github.com/acme/go-nats/audit-consumer

go 1.23

require github.com/nats-io/nats.go v1.37.0
