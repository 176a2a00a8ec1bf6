package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

type fakePublisher struct {
	connected bool
	sent      [][]byte
}

func (f *fakePublisher) Publish(_ context.Context, body []byte) error {
	f.sent = append(f.sent, body)
	return nil
}

func (f *fakePublisher) Connected() bool { return f.connected }

func TestPostTaskPublishes(t *testing.T) {
	fp := &fakePublisher{connected: true}
	req := httptest.NewRequest(http.MethodPost, "/tasks", strings.NewReader(`{"kind":"resize","payload":{"id":7}}`))
	rec := httptest.NewRecorder()
	Routes(fp).ServeHTTP(rec, req)
	if rec.Code != http.StatusAccepted {
		t.Fatalf("status %d, want 202", rec.Code)
	}
	if len(fp.sent) != 1 {
		t.Fatalf("published %d messages, want 1", len(fp.sent))
	}
}

func TestUnknownKindRejected(t *testing.T) {
	fp := &fakePublisher{connected: true}
	req := httptest.NewRequest(http.MethodPost, "/tasks", strings.NewReader(`{"kind":"mine-bitcoin","payload":{}}`))
	rec := httptest.NewRecorder()
	Routes(fp).ServeHTTP(rec, req)
	if rec.Code != http.StatusUnprocessableEntity {
		t.Fatalf("status %d, want 422", rec.Code)
	}
}

func TestHealthzReflectsConnection(t *testing.T) {
	rec := httptest.NewRecorder()
	Routes(&fakePublisher{}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503 while disconnected", rec.Code)
	}
}
