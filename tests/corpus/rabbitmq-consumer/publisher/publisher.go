package main

import (
	"context"
	"errors"
	"log"
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Publisher keeps one AMQP channel open and reconnects with a fixed delay
// whenever the broker closes the connection.
type Publisher struct {
	url            string
	queue          string
	reconnectDelay time.Duration

	mu sync.RWMutex
	ch *amqp.Channel
}

var ErrNotConnected = errors.New("not connected to rabbitmq")

func NewPublisher(url, queue string, reconnectDelay time.Duration) *Publisher {
	return &Publisher{url: url, queue: queue, reconnectDelay: reconnectDelay}
}

func (p *Publisher) Run(ctx context.Context) {
	for ctx.Err() == nil {
		conn, err := amqp.Dial(p.url)
		if err != nil {
			log.Printf("rabbitmq dial failed: %v; reconnect in %s", err, p.reconnectDelay)
			sleep(ctx, p.reconnectDelay)
			continue
		}
		ch, err := conn.Channel()
		if err != nil {
			_ = conn.Close()
			sleep(ctx, p.reconnectDelay)
			continue
		}
		p.set(ch)
		closed := conn.NotifyClose(make(chan *amqp.Error, 1))
		select {
		case <-ctx.Done():
			_ = conn.Close()
		case err := <-closed:
			log.Printf("rabbitmq connection closed: %v", err)
		}
		p.set(nil)
	}
}

func (p *Publisher) set(ch *amqp.Channel) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ch = ch
}

func (p *Publisher) Connected() bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.ch != nil
}

func (p *Publisher) Publish(ctx context.Context, body []byte) error {
	p.mu.RLock()
	ch := p.ch
	p.mu.RUnlock()
	if ch == nil {
		return ErrNotConnected
	}
	return ch.PublishWithContext(ctx, "", p.queue, false, false, amqp.Publishing{
		ContentType:  "application/json",
		DeliveryMode: amqp.Persistent,
		Body:         body,
	})
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
