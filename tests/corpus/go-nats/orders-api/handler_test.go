package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
)

type fakePublisher struct{ subjects []string }

func (f *fakePublisher) Publish(_ context.Context, subject string, _ []byte, _ ...jetstream.PublishOpt) (*jetstream.PubAck, error) {
	f.subjects = append(f.subjects, subject)
	return &jetstream.PubAck{Stream: "ORDERS", Sequence: uint64(len(f.subjects))}, nil
}

func TestCreateOrderPublishes(t *testing.T) {
	pub := &fakePublisher{}
	h := NewHandler(pub, nil)
	req := httptest.NewRequest(http.MethodPost, "/orders", strings.NewReader(`{"id":"o-1","customer":"c-9","total_cents":1200}`))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusAccepted {
		t.Fatalf("status = %d, want 202", rec.Code)
	}
	if len(pub.subjects) != 1 || pub.subjects[0] != "orders.created" {
		t.Fatalf("published %v", pub.subjects)
	}
}

func TestOrderValidate(t *testing.T) {
	cases := map[string]Order{
		"id is required":               {Customer: "c", Total: 1},
		"customer is required":         {ID: "o", Total: 1},
		"total_cents must be positive": {ID: "o", Customer: "c"},
	}
	for want, o := range cases {
		if got := o.Validate(); got != want {
			t.Errorf("Validate(%+v) = %q, want %q", o, got, want)
		}
	}
}

func TestHealthWithoutNATS(t *testing.T) {
	rec := httptest.NewRecorder()
	NewHandler(&fakePublisher{}, nil).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d", rec.Code)
	}
}
