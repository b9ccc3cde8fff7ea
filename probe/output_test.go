package probe

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/sigprobe/sigprobe/sink"
	"github.com/sigprobe/sigprobe/sink/pseudonym"
)

// slowWriter blocks every Write until released and records the rows in order.
type slowWriter struct {
	mu      sync.Mutex
	release chan struct{}
	seen    []int64
	closed  bool
}

func (w *slowWriter) Write(b *sink.Batch) error {
	<-w.release
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, d := range b.Dwell {
		w.seen = append(w.seen, d.StartTS)
	}
	return nil
}

func (w *slowWriter) Close() error { w.closed = true; return nil }

func dwellBatch(from, n int) *shared {
	b := &sink.Batch{}
	for i := range n {
		b.Dwell = append(b.Dwell, sink.Dwell{IMSI: 1, StartTS: int64(from + i), Reason: "cell"})
	}
	return copyBatch(b, 1)
}

// Live, an output that stalls never holds up the sender: its queue spills
// to disk in order and everything arrives once it catches up; past the
// spill's bound rows are dropped and counted, never blocking.
func TestOutputSpillsWhenBehind(t *testing.T) {
	for _, tc := range []struct {
		name     string
		spillMax int64
		dropped  bool
	}{{"spill", 1 << 30, false}, {"spill full", 100 * 200, true}} {
		t.Run(tc.name, func(t *testing.T) {
			w := &slowWriter{release: make(chan struct{})}
			set := metrics.NewSet()
			o, err := newOutput("slow", tablesOutput, w, true, 2, t.TempDir(), tc.spillMax, privacy{}, set, quiet())
			if err != nil {
				t.Fatal(err)
			}
			const batches, rows = 200, 10
			t0 := time.Now()
			for i := range batches {
				o.send(item{b: dwellBatch(i*rows, rows)})
			}
			if d := time.Since(t0); d > 2*time.Second {
				t.Errorf("sending took %v with the output stalled", d)
			}
			if !tc.dropped && o.spillSize() == 0 {
				t.Error("nothing spilled while the output was stalled")
			}
			var prom strings.Builder
			set.WritePrometheus(&prom)
			if !strings.Contains(prom.String(), `sigprobe_output_spool_bytes{output="slow"}`) {
				t.Errorf("metrics:\n%s", prom.String())
			}
			close(w.release)
			if err := o.close(); err != nil {
				t.Fatal(err)
			}
			dropped := o.mDropped.Get()
			if got := uint64(len(w.seen)) + dropped; got != batches*rows {
				t.Errorf("%d rows written + %d dropped, sent %d", len(w.seen), dropped, batches*rows)
			}
			if tc.dropped != (dropped > 0) {
				t.Errorf("dropped %d rows (spill bound %d)", dropped, tc.spillMax)
			}
			for i := 1; i < len(w.seen); i++ {
				if w.seen[i] <= w.seen[i-1] {
					t.Fatalf("rows out of order at %d: %d after %d", i, w.seen[i], w.seen[i-1])
				}
			}
			if !w.closed {
				t.Error("writer not closed")
			}
		})
	}
}

// A checkpoint barrier that has to go through the spill still arrives, in
// order, with the writer's position.
func TestOutputBarrierThroughSpill(t *testing.T) {
	w := &slowWriter{release: make(chan struct{})}
	o, err := newOutput("slow", tablesOutput, w, true, 1, t.TempDir(), 1<<30, privacy{}, metrics.NewSet(), quiet())
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		o.send(item{b: dwellBatch(i, 1)})
	}
	reply := make(chan barrierReply, 1)
	o.send(item{epoch: 7, reply: reply})
	close(w.release)
	select {
	case r := <-reply:
		if r.err != nil || r.output != "slow" {
			t.Errorf("reply %+v", r)
		}
		if len(w.seen) != 5 {
			t.Errorf("barrier before the rows sent ahead of it: %d written", len(w.seen))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("barrier never reached the writer")
	}
	o.close()
}

// recordingWriter blocks until released and records the dwell rows.
type recordingWriter struct {
	mu      sync.Mutex
	release chan struct{}
	rows    []sink.Dwell
}

func (w *recordingWriter) Write(b *sink.Batch) error {
	<-w.release
	w.mu.Lock()
	defer w.mu.Unlock()
	w.rows = append(w.rows, b.Dwell...)
	return nil
}

func (w *recordingWriter) Close() error { return nil }

// A pseudonymized output that falls behind spills pseudonyms, never the
// identities: the spill file holds no packed IMSI or MSISDN, and the writer
// gets every row pseudonymized exactly once (not hashed again when read
// back), in order.
func TestOutputSpillPseudonymized(t *testing.T) {
	dir := t.TempDir()
	key, err := pseudonym.GenerateKeyFile(filepath.Join(dir, "key"))
	if err != nil {
		t.Fatal(err)
	}
	w := &recordingWriter{release: make(chan struct{})}
	spillDir := filepath.Join(dir, "spool")
	o, err := newOutput("files", tablesOutput, w, true, 1, spillDir, 1<<30,
		privacy{key: key, set: pseudonym.All, cache: pseudonym.NewCache(0)}, metrics.NewSet(), quiet())
	if err != nil {
		t.Fatal(err)
	}
	const n = 300
	imsi := func(i int) sink.Digits { return sink.MakeDigits(fmt.Sprintf("0010100%08d", i)) }
	msisdn := func(i int) sink.Digits { return sink.MakeDigits(fmt.Sprintf("4917%08d", i)) }
	for i := range n {
		b := &sink.Batch{Dwell: []sink.Dwell{{IMSI: imsi(i), MSISDN: msisdn(i), StartTS: int64(i), Reason: "cell"}}}
		o.send(item{b: copyBatch(b, 1)})
	}
	if o.spillSize() == 0 {
		t.Fatal("nothing spilled while the output was stalled")
	}
	spilled, err := os.ReadFile(filepath.Join(spillDir, "files", "spill"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		for _, d := range []sink.Digits{imsi(i), msisdn(i)} {
			var be [8]byte
			binary.BigEndian.PutUint64(be[:], uint64(d))
			if bytes.Contains(spilled, be[:]) || bytes.Contains(spilled, []byte(d.String())) {
				t.Fatalf("the spill holds %s", d)
			}
		}
	}
	close(w.release)
	if err := o.close(); err != nil {
		t.Fatal(err)
	}
	if len(w.rows) != n {
		t.Fatalf("%d rows written, want %d", len(w.rows), n)
	}
	for i, r := range w.rows {
		if r.StartTS != int64(i) || r.IMSI != key.Of(pseudonym.IMSI, imsi(i)) || r.MSISDN != key.Of(pseudonym.MSISDN, msisdn(i)) || r.KeyID != key.ID() {
			t.Fatalf("row %d: %+v, want the pseudonyms of %s and %s", i, r, imsi(i), msisdn(i))
		}
	}
}
