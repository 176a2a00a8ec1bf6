package main

import (
	"log"
	"net/http"
	"os"
	"time"
)

func main() {
	addr := os.Getenv("LISTEN_ADDR")
	if addr == "" {
		addr = ":8080"
	}
	idx := NewIndex()
	idx.Add("INV-1001", "Acme Corp consulting March")
	idx.Add("INV-1002", "Globex hosting April")
	srv := &http.Server{Addr: addr, Handler: Router(idx), ReadHeaderTimeout: 5 * time.Second}
	log.Printf("search-api on %s", addr)
	log.Fatal(srv.ListenAndServe())
}
