package clickhouse

import (
	"context"
	"testing"
	"time"

	"github.com/sigprobe/sigprobe/sink"
)

// Tests against a real ClickHouse engine (chDB behind front.js, see
// front_test.go), over http:// as against ClickHouse Cloud.

// engineBase is the streams' first timestamp: recent, so that the schema's
// TTLs keep the rows.
func engineBase() int64 { return time.Now().Add(-6*time.Hour).Unix() / 3600 * 3600 }

// Every row of a stream of all six tables lands in the MergeTree tables once,
// read back column by column.
func TestEngineLandsEveryRow(t *testing.T) {
	f := startFront(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c := f.setup(ctx, "sigprobe")
	w, err := New(Config{DSN: f.dsn("sigprobe"), BatchRows: 2000, SpoolDir: t.TempDir(), InsertTimeout: 30 * time.Second, CloseTimeout: 3 * time.Minute}, nil)
	if err != nil {
		t.Fatal(err)
	}
	stream := genStream(11, 100, engineBase())
	if err := writeStream(w, stream); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	want := streamKeys(stream)
	checkTables(ctx, t, c, want)
	st := w.Stats()
	total := 0
	for _, v := range want {
		total += len(v)
	}
	if st.Rows != uint64(total) || len(st.Dropped) != 0 {
		t.Fatalf("stats %+v, want %d rows inserted, none dropped", st, total)
	}
	t.Logf("%d rows in %d blocks over http://", st.Rows, st.Batches)
}

// The engine deduplicates by insert_deduplication_token, not by content: a
// block with another's token is dropped, the same rows with a new token are
// stored again. (Content alone would also catch an identical block sent
// twice, so the restart tests below could not tell whether the token
// reaches the engine.)
func TestEngineHonoursTokens(t *testing.T) {
	f := startFront(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c := f.setup(ctx, "sigprobe")
	cfg := Config{DSN: f.dsn("sigprobe")}
	cfg.defaults()
	ins, err := openInserter(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer ins.close()
	var dw []sink.Dwell
	for _, b := range genStream(14, 5, engineBase()) {
		dw = append(dw, b.Dwell...)
	}
	blk := func(rows []sink.Dwell, token string) *block {
		b := newBlock(tables[1])
		tables[1].put(&sink.Batch{Dwell: rows}, 0, len(rows), b.cols)
		b.rows = len(rows)
		b.token = token
		return b
	}
	a, other := dw[:10], dw[10:17]
	for _, s := range []struct {
		b    *block
		want uint64 // rows in the table after the insert
	}{
		{blk(a, "t-1"), 10},
		{blk(a, "t-1"), 10},     // retried: dropped
		{blk(other, "t-1"), 10}, // other rows, same token: dropped
		{blk(a, "t-2"), 20},     // the same rows, a new token: stored
		{blk(other, "t-3"), 27},
	} {
		if err := ins.insert(ctx, s.b); err != nil {
			t.Fatal(err)
		}
		var n uint64
		if err := c.QueryRow(ctx, "SELECT count() FROM dwell").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != s.want {
			t.Fatalf("after inserting %d rows with token %s: %d rows in dwell, want %d", s.b.rows, s.b.token, n, s.want)
		}
	}
}

// The server dies mid-stream and comes back: blocks wait in the spool and
// are replayed; a block whose acknowledgement the crash lost comes again
// with its token. Nothing is lost, nothing doubled.
func TestEngineOutage(t *testing.T) {
	f := startFront(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c := f.setup(ctx, "sigprobe")
	w, err := New(Config{DSN: f.dsn("sigprobe"), BatchRows: 1000, SpoolDir: t.TempDir(), Attempts: 2,
		RetryMin: 50 * time.Millisecond, RetryMax: 200 * time.Millisecond, DialTimeout: time.Second, InsertTimeout: 10 * time.Second, CloseTimeout: time.Minute}, nil)
	if err != nil {
		t.Fatal(err)
	}
	stream := genStream(12, 150, engineBase())
	var peakBlocks, peakRows int
	for i, b := range stream {
		switch i {
		case 50:
			f.kill()
		case 100:
			w.spool.mu.Lock()
			for _, e := range w.spool.entries {
				peakRows += e.rows
			}
			peakBlocks = len(w.spool.entries)
			w.spool.mu.Unlock()
			f.restart()
		}
		if err := writeStream(w, []*sink.Batch{b}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	want := streamKeys(stream)
	checkTables(ctx, t, c, want)
	st := w.Stats()
	total := 0
	for _, v := range want {
		total += len(v)
	}
	var inTables uint64
	for _, tb := range sink.Tables {
		var n uint64
		if err := c.QueryRow(ctx, "SELECT count() FROM "+tb).Scan(&n); err != nil {
			t.Fatal(err)
		}
		inTables += n
	}
	t.Logf("rows sent %d; in the spool when the server came back: %d blocks, %d rows; spooled %d blocks, replayed %d; inserted %d rows in %d blocks, %d failed attempts; in the tables %d rows",
		total, peakBlocks, peakRows, st.Spooled, st.Replayed, st.Rows, st.Batches, st.Retries, inTables)
	if peakBlocks == 0 || st.Replayed != st.Spooled || st.SpoolBlocks != 0 || len(st.Dropped) != 0 {
		t.Fatalf("stats %+v: want blocks spooled during the outage, all replayed, none dropped", st)
	}
}

// A restart from a checkpoint, the batches after it written again, against
// the real engine: blocks the crashed writer had inserted after the
// checkpoint come again with the same tokens, and the engine keeps them once.
func TestEngineCheckpointRestart(t *testing.T) {
	f := startFront(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c := f.setup(ctx, "sigprobe")
	cfg := Config{DSN: f.dsn("sigprobe"), BatchRows: 1000, SpoolDir: t.TempDir(), InsertTimeout: 30 * time.Second, CloseTimeout: 3 * time.Minute}
	stream := genStream(13, 120, engineBase())
	w, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeStream(w, stream[:40]); err != nil {
		t.Fatal(err)
	}
	pos, err := w.Checkpoint(1)
	if err != nil {
		t.Fatal(err)
	}
	atCheckpoint := w.Stats().Rows
	if err := writeStream(w, stream[40:80]); err != nil {
		t.Fatal(err)
	}
	// Let the sender insert what was sealed after the checkpoint; the
	// open blocks die with the writer.
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		w.mu.Lock()
		idle := len(w.pending) == 0 && w.inflight == nil
		w.mu.Unlock()
		if idle && w.Stats().SpoolBlocks == 0 {
			break
		}
	}
	after := w.Stats().Rows - atCheckpoint
	crash(t, w)
	if after == 0 {
		t.Fatal("nothing inserted after the checkpoint before the crash: the restart would show nothing")
	}

	w2, err := New(cfg, pos)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeStream(w2, stream[40:]); err != nil {
		t.Fatal(err)
	}
	if err := w2.Close(); err != nil {
		t.Fatal(err)
	}
	checkTables(ctx, t, c, streamKeys(stream))
	t.Logf("rows inserted after the checkpoint before the crash: %d; sent again after the restart: %d rows", after, w2.Stats().Rows)
}
