package clickhouse

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/sigprobe/sigprobe/sink"
)

// hangServer accepts TCP connections and never answers.
func hangServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return ln.Addr().String()
}

// refusedAddr is a loopback port nothing listens on.
func refusedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// timedInserter records how long each attempt of the real driver took.
type timedInserter struct {
	inserter
	mu    sync.Mutex
	times []time.Duration
}

func (ti *timedInserter) insert(ctx context.Context, b *block) error {
	t0 := time.Now()
	err := ti.inserter.insert(ctx, b)
	ti.mu.Lock()
	ti.times = append(ti.times, time.Since(t0))
	ti.mu.Unlock()
	return err
}

func (ti *timedInserter) attempts() []time.Duration {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	return append([]time.Duration(nil), ti.times...)
}

// Every timeout is kept against a server that accepts and never answers
// and against one that refuses: each attempt ends by its bound (connecting
// by DialTimeout, an attempt by InsertTimeout), Close by CloseTimeout, and
// Write never waits. Over the native protocol and HTTP.
func TestTimeoutsKept(t *testing.T) {
	slack := 750 * time.Millisecond
	if raceEnabled {
		slack = 3 * time.Second
	}
	cases := []struct {
		name, scheme       string
		hang               bool
		dial, ins, closeTO time.Duration
		want               time.Duration // each attempt at most
	}{
		// The outside finding: InsertTimeout 2s, CloseTimeout 3s, DialTimeout default (5s).
		{"native/hang/as-reported", "clickhouse", true, 0, 2 * time.Second, 3 * time.Second, 2 * time.Second},
		{"native/hang/handshake-bounded-by-dial", "clickhouse", true, time.Second, 4 * time.Second, 2 * time.Second, time.Second},
		{"native/hang/bounded-by-insert", "clickhouse", true, 4 * time.Second, time.Second, 2 * time.Second, time.Second},
		{"native/refused", "clickhouse", false, 2 * time.Second, 2 * time.Second, time.Second, 0},
		{"http/hang/hello-bounded-by-dial", "http", true, time.Second, 4 * time.Second, 2 * time.Second, time.Second},
		{"http/hang/bounded-by-insert", "http", true, 4 * time.Second, time.Second, 2 * time.Second, time.Second},
		{"http/refused", "http", false, 2 * time.Second, 2 * time.Second, time.Second, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			addr := refusedAddr(t)
			if c.hang {
				addr = hangServer(t)
			}
			cfg := Config{DSN: c.scheme + "://default:secret@" + addr + "/sigprobe", BatchRows: 5000, SpoolDir: t.TempDir(),
				DialTimeout: c.dial, InsertTimeout: c.ins, CloseTimeout: c.closeTO, Attempts: 2, RetryMin: 10 * time.Millisecond, RetryMax: 50 * time.Millisecond,
				MaxPending: 64} // every block fits in memory: Write never touches the disk here
			cfg.defaults()
			ins, err := openInserter(&cfg)
			if err != nil {
				t.Fatal(err)
			}
			ti := &timedInserter{inserter: ins}
			w, err := newWriter(cfg, ti, nil)
			if err != nil {
				t.Fatal(err)
			}
			stream := genStream(6, 30, streamBase)
			var slowest time.Duration
			for _, b := range stream {
				t0 := time.Now()
				if err := writeStream(w, []*sink.Batch{b}); err != nil {
					t.Fatal(err)
				}
				slowest = max(slowest, time.Since(t0))
				time.Sleep(50 * time.Millisecond)
			}
			for len(ti.attempts()) < 3 {
				time.Sleep(10 * time.Millisecond)
			}
			t0 := time.Now()
			if _, err := w.Checkpoint(1); err != nil {
				t.Fatal(err)
			}
			ckpt := time.Since(t0)
			t0 = time.Now()
			err = w.Close()
			closed := time.Since(t0)
			if err == nil {
				t.Fatal("Close reported nothing left in the spool with the server down")
			}
			at := ti.attempts()
			t.Logf("attempts %v; Close %v (CloseTimeout %v); Checkpoint %v; slowest Write %v", at, closed.Round(time.Millisecond), c.closeTO, ckpt.Round(time.Millisecond), slowest.Round(time.Millisecond))
			for i, d := range at {
				if d > c.want+slack {
					t.Errorf("attempt %d took %v, want at most %v (+%v)", i+1, d, c.want, slack)
				}
			}
			if c.hang && at[0] < c.want*9/10 {
				t.Errorf("first attempt ended after %v, before its bound %v: the server was not hanging?", at[0], c.want)
			}
			if closed > c.closeTO+slack {
				t.Errorf("Close took %v, want at most CloseTimeout %v (+%v)", closed, c.closeTO, slack)
			}
			if ckpt > slack || slowest > slack {
				t.Errorf("Checkpoint took %v, the slowest Write %v: they must not wait for ClickHouse", ckpt, slowest)
			}
			st := w.Stats()
			if len(st.Dropped) != 0 || st.Rows != 0 || st.SpoolBlocks == 0 {
				t.Errorf("stats %+v: want everything spooled, nothing dropped", st)
			}
		})
	}
}
