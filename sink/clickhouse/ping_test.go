package clickhouse

import (
	"context"
	"net"
	"slices"
	"strings"
	"testing"
	"time"
)

// Ping reaches a real engine (chDB behind its HTTP front) and names the
// schema's tables its database lacks; an address nobody answers on is an
// error within the timeout.
func TestPing(t *testing.T) {
	f := startFront(t)
	ctx := context.Background()
	c := f.setup(ctx, "probe")
	if missing, err := Ping(ctx, f.dsn("probe"), 5*time.Second); err != nil || len(missing) != 0 {
		t.Errorf("with the schema applied: missing %v, err %v", missing, err)
	}
	if err := c.Exec(ctx, "DROP TABLE region_minute"); err != nil {
		t.Fatal(err)
	}
	if missing, err := Ping(ctx, f.dsn("probe"), 5*time.Second); err != nil || !slices.Equal(missing, []string{"region_minute"}) {
		t.Errorf("without region_minute: missing %v, err %v", missing, err)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	t0 := time.Now()
	if _, err := Ping(ctx, "clickhouse://default:secret@"+addr+"/probe", time.Second); err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("nobody listening: %v", err)
	}
	if d := time.Since(t0); d > 5*time.Second {
		t.Errorf("took %v with a 1s timeout", d)
	}
}
