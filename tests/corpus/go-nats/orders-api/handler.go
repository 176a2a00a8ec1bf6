package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Publisher is the part of JetStream the handler needs.
type Publisher interface {
	Publish(ctx context.Context, subject string, data []byte, opts ...jetstream.PublishOpt) (*jetstream.PubAck, error)
}

// Order is the body of POST /orders.
type Order struct {
	ID       string `json:"id"`
	Customer string `json:"customer"`
	Total    int64  `json:"total_cents"`
}

func (o Order) Validate() string {
	switch {
	case strings.TrimSpace(o.ID) == "":
		return "id is required"
	case strings.TrimSpace(o.Customer) == "":
		return "customer is required"
	case o.Total <= 0:
		return "total_cents must be positive"
	}
	return ""
}

type handler struct {
	js Publisher
	nc *nats.Conn
}

func NewHandler(js Publisher, nc *nats.Conn) http.Handler {
	h := &handler{js: js, nc: nc}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", h.health)
	mux.HandleFunc("POST /orders", h.createOrder)
	return mux
}

func (h *handler) health(w http.ResponseWriter, _ *http.Request) {
	if h.nc != nil && !h.nc.IsConnected() {
		http.Error(w, "nats disconnected", http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte("ok"))
}

func (h *handler) createOrder(w http.ResponseWriter, r *http.Request) {
	var o Order
	if err := json.NewDecoder(r.Body).Decode(&o); err != nil {
		http.Error(w, "invalid JSON", http.StatusBadRequest)
		return
	}
	if msg := o.Validate(); msg != "" {
		http.Error(w, msg, http.StatusUnprocessableEntity)
		return
	}
	data, _ := json.Marshal(o)
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	if _, err := h.js.Publish(ctx, "orders.created", data, jetstream.WithMsgID(o.ID)); err != nil {
		http.Error(w, "publish failed", http.StatusBadGateway)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}
