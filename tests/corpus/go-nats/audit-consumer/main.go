package main

import (
	"context"
	"encoding/json"
	"log"
	"os"
	"os/signal"
	"syscall"

	"github.com/nats-io/nats.go"
)

type auditEntry struct {
	Subject string          `json:"subject"`
	Payload json.RawMessage `json:"payload"`
}

func main() {
	url := os.Getenv("NATS_URL")
	subject := os.Getenv("AUDIT_SUBJECT")
	if subject == "" {
		subject = "orders.>"
	}

	nc, err := nats.Connect(url, nats.Name("audit-consumer"))
	if err != nil {
		log.Fatalf("nats connect: %v", err)
	}
	defer nc.Drain()

	enc := json.NewEncoder(os.Stdout)
	_, err = nc.QueueSubscribe(subject, "audit", func(m *nats.Msg) {
		if err := enc.Encode(auditEntry{Subject: m.Subject, Payload: m.Data}); err != nil {
			log.Printf("encode: %v", err)
		}
	})
	if err != nil {
		log.Fatalf("subscribe %s: %v", subject, err)
	}
	log.Printf("audit-consumer subscribed to %s", subject)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
}
