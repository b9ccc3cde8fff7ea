package clickhouse

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"

	"github.com/sigprobe/sigprobe/sink"
)

// TestLive runs against a real ClickHouse server (clickhouse-go v2 needs a
// modern one) when SIGPROBE_CLICKHOUSE_DSN names one, native or HTTP, e.g.
//
//	SIGPROBE_CLICKHOUSE_DSN=clickhouse://default:@127.0.0.1:9000/sigprobe_test \
//	SIGPROBE_CLICKHOUSE_STOP='docker stop ch' SIGPROBE_CLICKHOUSE_START='docker start ch' \
//	go test ./sink/clickhouse -run Live -v
//
// It applies the schema twice, empties the tables, streams rows through the
// sink, and (when the STOP/START commands are set) stops the server in the
// middle and starts it again. Then it counts: every row once, none lost.
func TestLive(t *testing.T) {
	dsn := os.Getenv("SIGPROBE_CLICKHOUSE_DSN")
	if dsn == "" {
		t.Skip("skipped: set SIGPROBE_CLICKHOUSE_DSN to a ClickHouse (>= 22.x) DSN, clickhouse://... or http(s)://..., to run the live test")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for range 2 { // idempotent
		if _, err := Apply(ctx, dsn, ""); err != nil {
			t.Fatal(err)
		}
	}
	opts, _ := openOptions(dsn)
	conn, err := ch.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, tb := range sink.Tables {
		if err := conn.Exec(ctx, "TRUNCATE TABLE "+tb); err != nil {
			t.Fatal(err)
		}
	}
	stop, start := os.Getenv("SIGPROBE_CLICKHOUSE_STOP"), os.Getenv("SIGPROBE_CLICKHOUSE_START")
	if stop == "" || start == "" {
		t.Log("SIGPROBE_CLICKHOUSE_STOP/START not set: running without the outage")
	}
	w, err := New(Config{DSN: dsn, BatchRows: 5000, SpoolDir: t.TempDir(),
		RetryMin: 100 * time.Millisecond, RetryMax: time.Second, InsertTimeout: 5 * time.Second, CloseTimeout: 2 * time.Minute}, nil)
	if err != nil {
		t.Fatal(err)
	}
	const total, step = 200_000, 2_000
	all := dwellRows(total, 0)
	stopAt, startAt := total/3/step*step, 2*total/3/step*step // batch boundaries
	for i := 0; i < total; i += step {
		if i == stopAt && stop != "" {
			run(t, stop)
		}
		if i == startAt && start != "" {
			run(t, start)
		}
		// A Flush mark every fifth batch, as the pipeline sets them.
		if err := w.Write(&sink.Batch{Dwell: all[i : i+step], Flush: i/step%5 == 4}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	st := w.Stats()
	t.Logf("stats %+v", st)
	var n, distinct uint64
	deadline := time.Now().Add(time.Minute)
	for {
		if err := conn.QueryRow(ctx, "SELECT count(), uniqExact(imsi) FROM dwell").Scan(&n, &distinct); err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second) // the server may still be starting
	}
	if n != total || distinct != total {
		t.Fatalf("dwell has %d rows, %d distinct; want %d each (nothing lost, nothing doubled)", n, distinct, total)
	}
	if len(st.Dropped) != 0 {
		t.Fatalf("dropped %v", st.Dropped)
	}
}

func run(t *testing.T, cmd string) {
	t.Helper()
	out, err := exec.Command("sh", "-c", cmd).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v: %s", cmd, err, out)
	}
	t.Logf("ran %s", cmd)
}
