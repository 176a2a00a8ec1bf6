package main

import (
	"context"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func env(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}

func main() {
	delay, err := time.ParseDuration(env("AMQP_RECONNECT_DELAY", "5s"))
	if err != nil {
		log.Fatalf("AMQP_RECONNECT_DELAY: %v", err)
	}
	pub := NewPublisher(os.Getenv("AMQP_URL"), env("AMQP_QUEUE", "tasks"), delay)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go pub.Run(ctx)

	srv := &http.Server{
		Addr:              env("HTTP_ADDR", ":8080"),
		Handler:           Routes(pub),
		ReadHeaderTimeout: 5 * time.Second,
	}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	log.Printf("publisher listening on %s", srv.Addr)
	if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
		log.Fatal(err)
	}
}
