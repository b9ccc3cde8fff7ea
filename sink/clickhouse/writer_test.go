package clickhouse

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sigprobe/sigprobe/sink"
)

func dwellRows(n, base int) []sink.Dwell {
	out := make([]sink.Dwell, n)
	for i := range out {
		k := base + i
		out[i] = sink.Dwell{IMSI: sink.MakeDigits(fmt.Sprintf("00101%010d", k)), MSISDN: sink.MakeDigits(fmt.Sprintf("49%09d", k)),
			LAC: 7, CI: uint16(k), StartTS: 1_790_000_000 + int64(k), EndTS: 1_790_000_600 + int64(k), Roamer: k%3 == 0, Reason: "cell"}
	}
	return out
}

// dwellKeys is what rowKey must give for the rows, written out independently.
func dwellKeys(rows []sink.Dwell) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = fmt.Sprintf("%s|%s|%d|%d|%d|%d|%t|%s|%s", r.IMSI, r.MSISDN, r.LAC, r.CI, r.StartTS, r.EndTS, r.Roamer, r.Reason, r.KeyID)
	}
	return out
}

// writeDwell writes rows in batches of n through one reused batch, the way
// the pipeline does, scribbling over the batch after each Write.
func writeDwell(t *testing.T, w *Writer, rows []sink.Dwell, n int) {
	t.Helper()
	b := &sink.Batch{}
	for i := 0; i < len(rows); i += n {
		b.Reset()
		b.Dwell = append(b.Dwell, rows[i:min(i+n, len(rows))]...)
		if err := w.Write(b); err != nil {
			t.Fatal(err)
		}
		for j := range b.Dwell {
			b.Dwell[j] = sink.Dwell{Reason: "scribbled"}
		}
	}
}

func mustNew(t *testing.T, cfg Config, f *fakeCH) *Writer {
	t.Helper()
	w, err := newWriter(cfg, f, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() }) // a failed test must not leave the bubble's goroutines behind
	return w
}

func TestBatchingByRows(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake()
		w := mustNew(t, Config{BatchRows: 100}, f)
		rows := dwellRows(250, 0)
		writeDwell(t, w, rows, 30)
		synctest.Wait()
		// Two full blocks went without waiting; 50 rows wait for a Flush mark
		// or Close, however long that takes.
		time.Sleep(time.Hour)
		synctest.Wait()
		if got := f.stored(); len(got) != 2 || len(got[0].rows) != 100 || len(got[1].rows) != 100 {
			t.Fatalf("before Close: %d blocks, want 2 of 100 rows", len(got))
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		got := f.stored()
		if len(got) != 3 || len(got[2].rows) != 50 {
			t.Fatalf("after Close: %d blocks, want 3 (100, 100, 50)", len(got))
		}
		if !slices.Equal(f.rows("dwell"), dwellKeys(rows)) {
			t.Fatal("stored rows differ from the written ones (or their order)")
		}
		st := w.Stats()
		if st.Rows != 250 || st.Batches != 3 || st.Retries != 0 || len(st.Dropped) != 0 {
			t.Fatalf("stats %+v", st)
		}
	})
}

// Every table is routed to its own blocks; a multi-table batch makes one
// block per non-empty table.
func TestAllTables(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake()
		w := mustNew(t, Config{}, f)
		b := &sink.Batch{
			Dwell:         dwellRows(3, 0),
			Trajectories:  []sink.TrajectoryPoint{{IMSI: sink.MakeDigits("001010000000001"), TS: 5, LAC: 1, CI: 2}},
			RegionMinutes: []sink.RegionMinute{{Region: "mall", MinuteTS: 60, ExitDwell: [8]uint32{1, 2, 3, 4, 5, 6, 7, 8}}},
			Events:        []sink.Event{{TS: 1, Kind: sink.EventSMSMO, Cause: 3}},
			Triggers:      []sink.Trigger{{ID: "x", DwellS: -5}, {ID: "y", DwellS: 1 << 40}},
			Subscribers:   []sink.Subscriber{{IMSI: sink.MakeDigits("001"), IMEI: sink.MakeDigits("35209900176148")}},
		}
		if err := w.Write(b); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, s := range f.stored() {
			names = append(names, s.table)
		}
		slices.Sort(names)
		want := slices.Clone(sink.Tables)
		slices.Sort(want)
		if !slices.Equal(names, want) {
			t.Fatalf("blocks for %v, want one per table %v", names, want)
		}
		if got := f.rows("region_minute")[0]; got != "mall|60|0|0|0|0|[1 2 3 4 5 6 7 8]" {
			t.Fatalf("region_minute row %q", got)
		}
		if got := f.rows("triggers"); !strings.Contains(got[0], "|0|") || !strings.Contains(got[1], "|4294967295|") {
			t.Fatalf("dwell_s not clamped to UInt32: %q", got)
		}
	})
}

// A batch with Flush set seals every table's open block after its rows;
// nothing else but BatchRows and Close cuts a block, however much time passes.
func TestFlushMarks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake()
		w := mustNew(t, Config{BatchRows: 1000}, f)
		writeDwell(t, w, dwellRows(10, 0), 10)
		time.Sleep(24 * time.Hour)
		synctest.Wait()
		if n := len(f.stored()); n != 0 {
			t.Fatalf("%d inserts without a Flush mark", n)
		}
		b := &sink.Batch{Dwell: dwellRows(5, 10), Events: []sink.Event{{TS: 1, Kind: sink.EventUSSD}}, Flush: true}
		if err := w.Write(b); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		got := f.stored()
		if len(got) != 2 {
			t.Fatalf("after a Flush mark: %d blocks, want 2 (dwell and events)", len(got))
		}
		byTable := map[string]int{}
		for _, g := range got {
			byTable[g.table] = len(g.rows)
		}
		if byTable["dwell"] != 15 || byTable["events"] != 1 {
			t.Fatalf("blocks %v, want dwell 15 rows (the open block and the batch), events 1", byTable)
		}
		// A Flush mark with nothing open seals nothing.
		if err := w.Write(&sink.Batch{Flush: true}); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if n := len(f.stored()); n != 2 {
			t.Fatalf("%d blocks after an empty flush, want 2", n)
		}
	})
}

func TestRetryWithBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake()
		f.failNext = 2
		w := mustNew(t, Config{BatchRows: 10, RetryMin: 100 * time.Millisecond, RetryMax: time.Second, SpoolDir: t.TempDir()}, f)
		start := time.Now()
		writeDwell(t, w, dwellRows(10, 0), 10)
		synctest.Wait()
		if f.tries() != 1 {
			t.Fatalf("%d attempts, want 1", f.tries())
		}
		time.Sleep(100 * time.Millisecond) // first backoff
		synctest.Wait()
		if f.tries() != 2 {
			t.Fatalf("%d attempts after 100ms, want 2", f.tries())
		}
		time.Sleep(200 * time.Millisecond) // doubled
		synctest.Wait()
		if len(f.stored()) != 1 {
			t.Fatalf("not stored after 2 retries (attempts %d, %v)", f.tries(), time.Since(start))
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		st := w.Stats()
		if st.Retries != 2 || st.Rows != 10 || st.Spooled != 0 {
			t.Fatalf("stats %+v, want 2 retries, 10 rows, nothing spooled", st)
		}
	})
}

// A retry after a lost acknowledgement carries the same token, so the
// server keeps the block once.
func TestDedupToken(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake()
		f.lostAcks = 1
		w := mustNew(t, Config{BatchRows: 10}, f)
		writeDwell(t, w, dwellRows(20, 0), 20)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if f.attempts != 3 || f.deduped != 1 || len(f.stored()) != 2 {
			t.Fatalf("attempts %d, deduped %d, stored %d; want 3, 1, 2", f.attempts, f.deduped, len(f.stored()))
		}
		if got := f.rows("dwell"); !slices.Equal(got, dwellKeys(dwellRows(20, 0))) {
			t.Fatalf("stored %d rows, want the 20 written once", len(got))
		}
	})
	// Tokens: deterministic in table, ordinal and content; the spool
	// sequence number stays out.
	tok := func(rows []sink.Dwell, seq, ord uint64) string {
		b := newBlock(tables[1])
		tables[1].put(&sink.Batch{Dwell: rows}, 0, len(rows), b.cols)
		b.rows = len(rows)
		b.seal(seq, ord)
		return b.token
	}
	a := tok(dwellRows(5, 0), 7, 3)
	if !strings.HasPrefix(a, "dwell-3-") || a != tok(dwellRows(5, 0), 7, 3) || a != tok(dwellRows(5, 0), 99, 3) {
		t.Fatalf("token %q not a function of table, ordinal and content alone", a)
	}
	if a == tok(dwellRows(5, 1), 7, 3) || a == tok(dwellRows(5, 0), 7, 4) {
		t.Fatal("different blocks share a token")
	}
}

// ClickHouse goes away mid-stream: blocks go to the spool, and when it is
// back they are replayed in order before anything newer; nothing is lost or
// doubled.
func TestSpoolReplayInOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake()
		dir := t.TempDir()
		w := mustNew(t, Config{BatchRows: 10, MaxPending: 2, Attempts: 2, RetryMin: 100 * time.Millisecond, RetryMax: time.Second, SpoolDir: dir}, f)
		rows := dwellRows(300, 0)
		writeDwell(t, w, rows[:50], 10)
		synctest.Wait()
		f.setDown(true)
		for i := 50; i < 250; i += 10 {
			writeDwell(t, w, rows[i:i+10], 10)
			time.Sleep(200 * time.Millisecond)
		}
		time.Sleep(time.Second) // one more failed attempt spills what waits in memory
		synctest.Wait()
		st := w.Stats()
		files, _ := filepath.Glob(filepath.Join(dir, "*.blk"))
		if st.SpoolBlocks != 20 || len(files) != 20 || st.SpoolBytes == 0 {
			t.Fatalf("during the outage: %d spooled blocks (%d files, %d bytes), want 20", st.SpoolBlocks, len(files), st.SpoolBytes)
		}
		f.setDown(false)
		writeDwell(t, w, rows[250:], 10) // newer than everything spooled
		time.Sleep(2 * time.Second)      // the next backoff ends
		synctest.Wait()
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if got := f.rows("dwell"); !slices.Equal(got, dwellKeys(rows)) {
			t.Fatalf("stored %d rows, want the 300 written, once each, in order", len(got))
		}
		blocks := f.stored()
		for i := 1; i < len(blocks); i++ {
			if blocks[i].seq <= blocks[i-1].seq {
				t.Fatalf("block %d inserted after block %d", blocks[i].seq, blocks[i-1].seq)
			}
		}
		st = w.Stats()
		// At least the 20 blocks of the outage went through the spool (more
		// if Write found the memory queue full while the sender backed off).
		if st.Spooled < 20 || st.Replayed != st.Spooled || st.SpoolBlocks != 0 || len(st.Dropped) != 0 {
			t.Fatalf("stats %+v", st)
		}
		if files, _ := os.ReadDir(dir); len(files) != 0 {
			t.Fatalf("spool not empty: %v", files)
		}
	})
}

// Blocks still spooled at Close are replayed by the next writer on the same
// spool directory, with their original tokens.
func TestSpoolSurvivesRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake()
		f.setDown(true)
		dir := t.TempDir()
		cfg := Config{BatchRows: 10, SpoolDir: dir, RetryMin: 10 * time.Millisecond, Attempts: 2}
		w := mustNew(t, cfg, f)
		rows := dwellRows(40, 0)
		writeDwell(t, w, rows[:35], 35)
		if err := w.Close(); err == nil || !strings.Contains(err.Error(), "left in spool") {
			t.Fatalf("Close with the server down: %v, want the spool reported", err)
		}
		if st := w.Stats(); st.SpoolBlocks != 4 || len(st.Dropped) != 0 {
			t.Fatalf("stats %+v, want 4 spooled blocks, no drops", st)
		}
		f.setDown(false)
		w2 := mustNew(t, cfg, f)
		writeDwell(t, w2, rows[35:], 5)
		if err := w2.Close(); err != nil {
			t.Fatal(err)
		}
		if got := f.rows("dwell"); !slices.Equal(got, dwellKeys(rows)) {
			t.Fatalf("stored %d rows, want 40 in order", len(got))
		}
		if st := w2.Stats(); st.Replayed != 4 {
			t.Fatalf("replayed %d, want 4", st.Replayed)
		}
	})
}

func TestSpoolFullDrops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake()
		f.setDown(true)
		w := mustNew(t, Config{BatchRows: 10, MaxPending: 1, Attempts: 1, SpoolDir: t.TempDir(), SpoolMaxBytes: 2000}, f)
		writeDwell(t, w, dwellRows(200, 0), 10)
		synctest.Wait()
		w.Close()
		st := w.Stats()
		spooledRows := uint64(st.SpoolBlocks * 10)
		if st.Dropped["spool_full"] == 0 || spooledRows == 0 || st.SpoolBytes > 2000 {
			t.Fatalf("stats %+v: want some spooled under 2000 bytes, the rest dropped", st)
		}
		if spooledRows+st.Dropped["spool_full"] != 200 {
			t.Fatalf("spooled %d + dropped %d rows != 200 written", spooledRows, st.Dropped["spool_full"])
		}
	})
}

// Without a spool the in-memory queue is the only buffer: overflow and
// what is left at Close are dropped, and counted.
func TestNoSpoolCountsDrops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake()
		f.setDown(true)
		w := mustNew(t, Config{BatchRows: 10, MaxPending: 2, Attempts: 2}, f)
		writeDwell(t, w, dwellRows(100, 0), 10)
		synctest.Wait()
		w.Close()
		st := w.Stats()
		if st.Dropped["queue_full"] != 80 || st.Dropped["unavailable"] != 20 || st.Rows != 0 {
			t.Fatalf("dropped %v, want 80 queue_full + 20 unavailable", st.Dropped)
		}
		if err := w.Write(&sink.Batch{Dwell: dwellRows(3, 0)}); err != ErrClosed {
			t.Fatalf("Write after Close: %v", err)
		}
		if w.Stats().Dropped["closed"] != 3 {
			t.Fatal("rows written after Close not counted")
		}
	})
}

func TestSpoolCorruptFile(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		f := newFake()
		f.setDown(true)
		cfg := Config{BatchRows: 10, SpoolDir: dir, Attempts: 1}
		w := mustNew(t, cfg, f)
		writeDwell(t, w, dwellRows(20, 0), 20)
		w.Close()
		files, _ := filepath.Glob(filepath.Join(dir, "*.blk"))
		if len(files) != 2 {
			t.Fatalf("%d spool files, want 2", len(files))
		}
		data, _ := os.ReadFile(files[0])
		data[len(data)/2] ^= 0xff
		os.WriteFile(files[0], data, 0o644)
		f.setDown(false)
		w2 := mustNew(t, cfg, f)
		if err := w2.Close(); err != nil {
			t.Fatal(err)
		}
		if got := f.rows("dwell"); !slices.Equal(got, dwellKeys(dwellRows(10, 10))) {
			t.Fatalf("stored %d rows, want the 10 of the intact file", len(got))
		}
		if d := w2.Stats().Dropped["spool_error"]; d != 10 {
			t.Fatalf("spool_error drops %d, want 10", d)
		}
	})
}
