package natsbus

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Ping answers whether triggers could be published: a JetStream server
// yes; a NATS server without JetStream, or nobody, no — within the timeout.
func TestPing(t *testing.T) {
	ctx := context.Background()
	srv := startServer(t, t.TempDir(), "127.0.0.1:0")
	defer srv.Close()
	if err := Ping(ctx, Config{URL: srv.URL(), Options: srv.consumer(t)}, 5*time.Second); err != nil {
		t.Errorf("embedded JetStream server, as its consumer: %v", err)
	}
	if err := Ping(ctx, Config{URL: srv.URL()}, 5*time.Second); err == nil {
		t.Error("embedded server let an unauthenticated client in")
	}

	plain, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	plain.Start()
	defer plain.Shutdown()
	if !plain.ReadyForConnections(10 * time.Second) {
		t.Fatal("plain NATS server did not start")
	}
	if err := Ping(ctx, Config{URL: plain.ClientURL()}, 2*time.Second); err == nil {
		t.Error("no error from a server without JetStream")
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	t0 := time.Now()
	if err := Ping(ctx, Config{URL: "nats://" + addr}, time.Second); err == nil {
		t.Error("no error with nobody listening")
	}
	if d := time.Since(t0); d > 5*time.Second {
		t.Errorf("took %v with a 1s timeout", d)
	}
}
