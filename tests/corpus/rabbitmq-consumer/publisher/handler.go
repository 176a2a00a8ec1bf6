package main

import (
	"context"
	"encoding/json"
	"net/http"
)

type Task struct {
	Kind    string          `json:"kind"`
	Payload json.RawMessage `json:"payload"`
}

type publisher interface {
	Publish(ctx context.Context, body []byte) error
	Connected() bool
}

var allowedKinds = map[string]bool{"resize": true, "transcode": true, "email": true}

func validate(t Task) string {
	if !allowedKinds[t.Kind] {
		return "unknown kind"
	}
	if len(t.Payload) == 0 {
		return "payload required"
	}
	return ""
}

func Routes(p publisher) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if !p.Connected() {
			http.Error(w, "rabbitmq not connected", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ok"))
	})
	mux.HandleFunc("POST /tasks", func(w http.ResponseWriter, r *http.Request) {
		var t Task
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&t); err != nil {
			http.Error(w, "invalid json", http.StatusBadRequest)
			return
		}
		if msg := validate(t); msg != "" {
			http.Error(w, msg, http.StatusUnprocessableEntity)
			return
		}
		body, _ := json.Marshal(t)
		if err := p.Publish(r.Context(), body); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	})
	return mux
}
