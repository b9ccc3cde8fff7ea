package clickhouse

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/sigprobe/sigprobe/sink"
)

const streamBase = 1_790_000_000

// crash stops w the way a killed probe stops: nothing more is inserted or
// spooled; the memory queue and the open blocks are lost, the spool stays.
func crash(t *testing.T, w *Writer) {
	t.Helper()
	w.mu.Lock()
	w.closed = true
	w.pending = nil
	w.mu.Unlock()
	w.cancelStop()
	close(w.closing)
	w.mu.Lock()
	w.cond.Broadcast()
	w.mu.Unlock()
	<-w.senderDone
	metrics.UnregisterSet(w.set, true)
	w.ins.close()
}

func mustResume(t *testing.T, cfg Config, f *fakeCH, pos []byte) *Writer {
	t.Helper()
	p, err := decodePosition(pos)
	if err != nil {
		t.Fatal(err)
	}
	w, err := newWriter(cfg, f, p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

func checkAllOnce(t *testing.T, f *fakeCH, stream []*sink.Batch) {
	t.Helper()
	want := streamKeys(stream)
	for _, tb := range sink.Tables {
		if got := f.sortedRows(tb); !slices.Equal(got, want[tb]) {
			t.Errorf("%s: stored %d rows, want the %d written, each once", tb, len(got), len(want[tb]))
		}
	}
}

// Every row of a stream of all six tables lands once.
func TestStreamLandsOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake()
		w := mustNew(t, Config{BatchRows: 500, SpoolDir: t.TempDir()}, f)
		stream := genStream(1, 80, streamBase)
		if err := writeStream(w, stream); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		checkAllOnce(t, f, stream)
	})
}

// tokens returns the tokens of the blocks f stored, per table, in order.
func tokens(f *fakeCH) map[string][]string {
	out := map[string][]string{}
	for _, b := range f.stored() {
		out[b.table] = append(out[b.table], b.token)
	}
	return out
}

// The blocks and their tokens are a function of the batch stream: not of
// wall-clock time, nor of the spool's sequence numbers (which differ when
// an earlier run left blocks in the spool). Moving a Flush mark changes them.
func TestTokensFollowTheStream(t *testing.T) {
	stream := genStream(2, 60, streamBase)
	var want map[string][]string
	synctest.Test(t, func(t *testing.T) {
		f := newFake()
		w := mustNew(t, Config{BatchRows: 400, SpoolDir: t.TempDir()}, f)
		if err := writeStream(w, stream); err != nil {
			t.Fatal(err)
		}
		w.Close()
		want = tokens(f)
	})
	if len(want["dwell"]) < 5 || len(want["subscribers"]) < 2 {
		t.Fatalf("too few blocks to compare: %v", want)
	}
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		// An earlier run left three blocks of other rows in the spool.
		f0 := newFake()
		f0.setDown(true)
		w0 := mustNew(t, Config{BatchRows: 10, SpoolDir: dir, Attempts: 1}, f0)
		writeDwell(t, w0, dwellRows(30, 900_000), 30)
		w0.Close()
		left := map[string]bool{}
		s, _ := openSpool(dir, 1<<30)
		for _, e := range s.entries {
			b, err := s.load(e)
			if err != nil {
				t.Fatal(err)
			}
			left[b.token] = true
		}
		f := newFake()
		w := mustNew(t, Config{BatchRows: 400, SpoolDir: dir}, f)
		if w.seq != 3 || len(left) != 3 {
			t.Fatalf("sequence starts at %d after %d spooled blocks, want 3", w.seq, len(left))
		}
		for _, b := range stream { // slowly, with pauses
			if err := writeStream(w, []*sink.Batch{b}); err != nil {
				t.Fatal(err)
			}
			time.Sleep(700 * time.Millisecond)
		}
		w.Close()
		got := tokens(f)
		got["dwell"] = slices.DeleteFunc(got["dwell"], func(tok string) bool { return left[tok] })
		for _, tb := range sink.Tables {
			if !slices.Equal(got[tb], want[tb]) {
				t.Errorf("%s: tokens differ between two writes of the same stream:\n%v\n%v", tb, got[tb], want[tb])
			}
		}
	})
	synctest.Test(t, func(t *testing.T) {
		moved := genStream(2, 60, streamBase)
		moved[6].Flush, moved[7].Flush = false, true
		f := newFake()
		w := mustNew(t, Config{BatchRows: 400, SpoolDir: t.TempDir()}, f)
		writeStream(w, moved)
		w.Close()
		checkAllOnce(t, f, moved)
		if got := tokens(f); slices.Equal(got["events"], want["events"]) {
			t.Error("moving a Flush mark left the events blocks' tokens unchanged")
		}
	})
}

// A restart from a checkpoint, with the batches after it written again,
// loses and doubles nothing: blocks inserted after the checkpoint come back
// with the same tokens and are deduplicated; spooled blocks sealed after it
// are removed; the open blocks carry on.
func TestCheckpointRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake()
		dir := t.TempDir()
		cfg := Config{BatchRows: 300, SpoolDir: dir, Attempts: 1, RetryMin: 50 * time.Millisecond, RetryMax: 100 * time.Millisecond}
		stream := genStream(3, 60, streamBase)
		w := mustNew(t, cfg, f)
		if err := writeStream(w, stream[:20]); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		atCheckpoint := len(f.stored())
		pos, err := w.Checkpoint(7)
		if err != nil {
			t.Fatal(err)
		}
		p, _ := decodePosition(pos)
		if p.epoch != 7 || p.seq != w.seq || !slices.Equal(p.ordinals, w.ordinals) {
			t.Fatalf("position epoch %d seq %d ordinals %v; writer seq %d ordinals %v", p.epoch, p.seq, p.ordinals, w.seq, w.ordinals)
		}
		open := 0
		for _, b := range p.open {
			if b != nil {
				open += b.rows
			}
		}
		if open == 0 {
			t.Fatal("no open rows at the checkpoint: the test would not show they are restored")
		}
		writeStream(w, stream[20:35])
		synctest.Wait()
		insertedAfter := len(f.stored()) - atCheckpoint
		f.setDown(true)
		writeStream(w, stream[35:45])
		time.Sleep(time.Second)
		synctest.Wait()
		spooled, _ := filepath.Glob(filepath.Join(dir, "*.blk"))
		if len(spooled) == 0 {
			t.Fatal("nothing spooled during the outage")
		}
		crash(t, w)

		f.setDown(false)
		w2 := mustResume(t, cfg, f, pos)
		st := w2.Stats()
		if st.Rewound != uint64(len(spooled)) {
			t.Fatalf("removed %d spooled blocks, want the %d sealed after the checkpoint", st.Rewound, len(spooled))
		}
		if err := writeStream(w2, stream[20:]); err != nil {
			t.Fatal(err)
		}
		if err := w2.Close(); err != nil {
			t.Fatal(err)
		}
		checkAllOnce(t, f, stream)
		if f.dedups() == 0 || insertedAfter == 0 {
			t.Fatalf("%d blocks inserted after the checkpoint, %d deduplicated: the restart re-sent nothing already stored", insertedAfter, f.dedups())
		}
		t.Logf("blocks inserted after the checkpoint before the crash %d, deduplicated after the restart %d, spooled blocks removed %d",
			insertedAfter, f.dedups(), st.Rewound)
	})
}

// With ClickHouse hanging, Checkpoint returns at once with every sealed
// block in the spool, the one being inserted included; Write never waits.
func TestCheckpointServerHanging(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake()
		f.hang = true
		dir := t.TempDir()
		w := mustNew(t, Config{BatchRows: 100, MaxPending: 3, SpoolDir: dir, InsertTimeout: 30 * time.Second}, f)
		stream := genStream(4, 40, streamBase)
		for _, b := range stream {
			t0 := time.Now()
			if err := writeStream(w, []*sink.Batch{b}); err != nil {
				t.Fatal(err)
			}
			if d := time.Since(t0); d != 0 {
				t.Fatalf("Write took %v with ClickHouse hanging", d)
			}
		}
		synctest.Wait()
		w.mu.Lock()
		sealed, inflight := w.seq, w.inflight != nil
		w.mu.Unlock()
		if !inflight {
			t.Fatal("no insert in flight")
		}
		t0 := time.Now()
		if _, err := w.Checkpoint(1); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(t0); d != 0 {
			t.Fatalf("Checkpoint waited %v for a hanging server", d)
		}
		if st := w.Stats(); uint64(st.SpoolBlocks) != sealed || len(st.Dropped) != 0 {
			t.Fatalf("%d blocks spooled, want all %d sealed (stats %+v)", st.SpoolBlocks, sealed, st)
		}
		f.set(func(f *fakeCH) { f.hang = false })
		time.Sleep(time.Minute)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		checkAllOnce(t, f, stream)
	})
}

// The block being inserted when a checkpoint spools it: if that insert
// succeeds, its spool copy goes, so it is not inserted twice.
func TestCheckpointInflightInserted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake()
		f.gate = make(chan struct{})
		dir := t.TempDir()
		w := mustNew(t, Config{BatchRows: 10, SpoolDir: dir}, f)
		writeDwell(t, w, dwellRows(30, 0), 30)
		synctest.Wait()
		if _, err := w.Checkpoint(1); err != nil {
			t.Fatal(err)
		}
		if n := w.Stats().SpoolBlocks; n != 3 {
			t.Fatalf("%d blocks spooled, want 3", n)
		}
		close(f.gate)
		synctest.Wait()
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if got := f.rows("dwell"); !slices.Equal(got, dwellKeys(dwellRows(30, 0))) || f.attempts != 3 || f.dedups() != 0 {
			t.Fatalf("stored %d rows in %d attempts, %d deduplicated; want 30 rows in 3 attempts, none twice", len(got), f.attempts, f.dedups())
		}
	})
}

// Without a spool, sealed blocks are durable only once inserted: Checkpoint
// waits up to InsertTimeout for that and fails if they are not.
func TestCheckpointNoSpool(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake()
		f.setDown(true)
		w := mustNew(t, Config{BatchRows: 10, InsertTimeout: 5 * time.Second, RetryMin: time.Second, RetryMax: time.Second}, f)
		writeDwell(t, w, dwellRows(20, 0), 20)
		t0 := time.Now()
		_, err := w.Checkpoint(1)
		if err == nil || !strings.Contains(err.Error(), "2 sealed blocks (20 rows) not inserted") {
			t.Fatalf("Checkpoint with the server down and no spool: %v", err)
		}
		if d := time.Since(t0); d != 5*time.Second {
			t.Fatalf("Checkpoint gave up after %v, want InsertTimeout", d)
		}
		f.setDown(false)
		if _, err := w.Checkpoint(2); err != nil {
			t.Fatal(err)
		}
		if n := len(f.rows("dwell")); n != 20 {
			t.Fatalf("%d rows inserted when Checkpoint returned, want 20", n)
		}
	})
}

// Close seals the open blocks; the position Checkpoint returns after Close
// has no open rows and continues the ordinals.
func TestCheckpointAfterClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake()
		w := mustNew(t, Config{BatchRows: 10}, f)
		writeDwell(t, w, dwellRows(15, 0), 15)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		pos, err := w.Checkpoint(3)
		if err != nil {
			t.Fatal(err)
		}
		p, err := decodePosition(pos)
		if err != nil {
			t.Fatal(err)
		}
		if p.ordinals[1] != 2 || slices.ContainsFunc(p.open, func(b *block) bool { return b != nil }) {
			t.Fatalf("position after Close: ordinals %v, open %v; want dwell ordinal 2 and nothing open", p.ordinals, p.open)
		}
		w2 := mustResume(t, Config{BatchRows: 10}, f, pos)
		writeDwell(t, w2, dwellRows(10, 100), 10)
		w2.Close()
		if got := tokens(f)["dwell"]; len(got) != 3 || !strings.HasPrefix(got[2], "dwell-3-") {
			t.Fatalf("tokens %v, want the third dwell block to carry ordinal 3", got)
		}
	})
}

// A position taken with a larger BatchRows restores an open block already
// past the new one: it is sealed by the next Write, nothing is lost.
func TestRestoreBatchRowsShrunk(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake()
		w := mustNew(t, Config{BatchRows: 100}, f)
		writeDwell(t, w, dwellRows(30, 0), 30)
		pos, err := w.Checkpoint(1)
		if err != nil {
			t.Fatal(err)
		}
		crash(t, w)
		w2 := mustResume(t, Config{BatchRows: 10}, f, pos)
		writeDwell(t, w2, dwellRows(15, 30), 15)
		if err := w2.Close(); err != nil {
			t.Fatal(err)
		}
		if got := f.rows("dwell"); !slices.Equal(got, dwellKeys(dwellRows(45, 0))) {
			t.Fatalf("stored %d rows, want the 45 written", len(got))
		}
		if got := f.stored(); len(got) != 3 || len(got[0].rows) != 30 {
			t.Fatalf("%d blocks, want the restored 30 rows sealed alone, then 10 and 5", len(got))
		}
	})
}

func TestPositionRoundTrip(t *testing.T) {
	stream := genStream(5, 30, streamBase)
	f := newFake()
	var pos []byte
	var open []string
	synctest.Test(t, func(t *testing.T) {
		w := mustNew(t, Config{BatchRows: 100_000}, f)
		// no Flush marks: everything stays open
		for _, b := range stream {
			b.Flush = false
		}
		writeStream(w, stream)
		var err error
		if pos, err = w.Checkpoint(11); err != nil {
			t.Fatal(err)
		}
		for _, b := range w.open {
			for i := range b.rows {
				open = append(open, b.table.name+":"+rowKey(b, i))
			}
		}
		crash(t, w)
	})
	p, err := decodePosition(pos)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, b := range p.open {
		for i := range b.rows {
			got = append(got, b.table.name+":"+rowKey(b, i))
		}
	}
	if len(open) == 0 || !slices.Equal(got, open) {
		t.Fatalf("restored %d open rows, want the %d checkpointed", len(got), len(open))
	}
	if again := encodePosition(nil, p); !bytes.Equal(again, pos) {
		t.Fatal("re-encoding a decoded position gives other bytes")
	}
}

// A bad position is one clear error, before anything is connected.
func TestPositionErrors(t *testing.T) {
	var good []byte
	synctest.Test(t, func(t *testing.T) {
		w := mustNew(t, Config{BatchRows: 100}, newFake())
		writeDwell(t, w, dwellRows(5, 0), 5)
		good, _ = w.Checkpoint(1)
		crash(t, w)
	})
	flip := func(i int) []byte { b := slices.Clone(good); b[i] ^= 1; return b }
	vNext := slices.Clone(good)
	vNext[4] = positionVersion + 1
	cases := []struct {
		name string
		pos  []byte
		want string
	}{
		{"short", good[:10], "too short"},
		{"magic", append([]byte("XXXX"), good[4:]...), "not a ClickHouse writer position"},
		{"version", vNext, fmt.Sprintf("version %d, this build reads %d", positionVersion+1, positionVersion)},
		{"corrupt", flip(len(good) / 2), "checksum mismatch"},
		{"truncated", good[:len(good)-9], "checksum mismatch"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := New(Config{DSN: "clickhouse://127.0.0.1:1/x"}, c.pos)
			if err == nil || !errors.Is(err, errPosition) || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("got %v, want one line saying %q", err, c.want)
			}
		})
	}
}

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// goldenPosition is a fixed writer state: a position of format version 1
// with open rows in every table.
func goldenPosition() *position {
	b := genStream(9, 3, streamBase)[2]
	p := &position{epoch: 42, seq: 17, ordinals: []uint64{1, 2, 3, 4, 5, 6}, open: make([]*block, len(tables))}
	for i, t := range tables {
		n := min(t.rows(b), 3)
		if n == 0 {
			continue
		}
		blk := newBlock(t)
		t.put(b, 0, n, blk.cols)
		blk.rows = n
		p.open[i] = blk
	}
	return p
}

// The position format is stable: a fixed state encodes to the checked-in
// bytes (go test -run PositionGolden -update rewrites them, and the fuzz
// seeds, after a deliberate format change, which also bumps the version).
func TestPositionGolden(t *testing.T) {
	empty := &position{ordinals: make([]uint64, len(tables)), open: make([]*block, len(tables))}
	for name, p := range map[string]*position{"open-rows": goldenPosition(), "empty": empty} {
		got := encodePosition(nil, p)
		file := filepath.Join("testdata", "positions", name+".bin")
		if *update {
			os.MkdirAll(filepath.Dir(file), 0o755)
			os.WriteFile(file, got, 0o644)
			seed := filepath.Join("testdata", "fuzz", "FuzzPosition", name)
			os.MkdirAll(filepath.Dir(seed), 0o755)
			os.WriteFile(seed, []byte(fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", got)), 0o644)
		}
		want, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: position encodes differently from %s", name, file)
		}
		if _, err := decodePosition(want); err != nil {
			t.Errorf("%s: %v", file, err)
		}
	}
}

// FuzzPosition: decoding arbitrary bytes never panics, and whatever decodes
// encodes to a position that decodes to the same state (the decoder also
// takes non-canonical input, a bool byte of 0x30 say, so the bytes need
// not be the input's). Each input is also tried with its
// checksum made right, so the fuzzer gets past it into the parser. Seeds:
// testdata/fuzz/FuzzPosition.
func FuzzPosition(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		inputs := [][]byte{data}
		if len(data) >= 4 {
			body := data[:len(data)-4]
			inputs = append(inputs, binary.LittleEndian.AppendUint32(slices.Clip(body), crc32.Checksum(body, castagnoli)))
		}
		for _, in := range inputs {
			p, err := decodePosition(in)
			if err != nil {
				continue
			}
			again := encodePosition(nil, p)
			p2, err := decodePosition(again)
			if err != nil {
				t.Fatalf("a re-encoded position does not decode: %v", err)
			}
			if !bytes.Equal(encodePosition(nil, p2), again) {
				t.Fatal("decoding a re-encoded position changes it")
			}
		}
	})
}
