package probe

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"unsafe"

	"github.com/sigprobe/sigprobe/decode"
)

// simMessages decodes the first packets of a small simulated day.
func simMessages(t testing.TB, packets int) []decode.Message {
	t.Helper()
	src, err := openFileSource(simPcap(t, packets))
	if err != nil {
		t.Fatal(err)
	}
	defer src.close()
	var msgs []decode.Message
	w := newWorker(0, func(b *MsgBatch) { msgs = append(msgs, b.Msgs...) }, nil, nil)
	if err := src.run(t.Context(), workers{w}); err != nil {
		t.Fatal(err)
	}
	w.handOn()
	if len(msgs) < packets/2 {
		t.Fatalf("only %d messages", len(msgs))
	}
	return msgs
}

func TestWALRoundTrip(t *testing.T) {
	msgs := simMessages(t, 500)
	dir := t.TempDir()
	w, err := openWAL(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.start(); err != nil {
		t.Fatal(err)
	}
	from := w.position()
	var buf []byte
	for i := 0; i < len(msgs); i += 100 {
		if buf, err = w.appendBatch(msgs[i:min(i+100, len(msgs))], buf); err != nil {
			t.Fatal(err)
		}
		if i == 200 {
			w.appendCut()
		}
	}
	enc := encodeMessages(nil, msgs)
	t.Logf("%d messages: %d bytes in the log (%.0f a message, %d in memory)", len(msgs), len(enc), float64(len(enc))/float64(len(msgs)), unsafe.Sizeof(decode.Message{}))
	w.close()

	var got []decode.Message
	cuts := 0
	rec, err := (&wal{dir: dir}).replay(from, func(b *MsgBatch) {
		if b.cut {
			cuts++
		}
		got = append(got, b.Msgs...)
	})
	if err != nil || rec.torn {
		t.Fatalf("replay: %v, torn %v", err, rec.torn)
	}
	if len(got) != len(msgs) || cuts != 1 || rec.messages != uint64(len(msgs)) {
		t.Fatalf("%d messages and %d cuts back, wrote %d and 1", len(got), cuts, len(msgs))
	}
	for i := range msgs {
		if got[i] != msgs[i] {
			t.Fatalf("message %d differs after the round trip", i)
		}
	}

	// A torn tail (a crash in the middle of a write) ends the replay quietly.
	seg := filepath.Join(dir, "0000000000000001.wal")
	fi, _ := os.Stat(seg)
	os.Truncate(seg, fi.Size()-7)
	got = got[:0]
	rec, err = (&wal{dir: dir}).replay(from, func(b *MsgBatch) { got = append(got, b.Msgs...) })
	if err != nil || !rec.torn || len(got) >= len(msgs) || len(got) == 0 {
		t.Fatalf("torn tail: %v, torn %v, %d messages", err, rec.torn, len(got))
	}
	// A flipped bit in a record is a torn tail too: nothing after it is used.
	b, _ := os.ReadFile(seg)
	b[walHeader+20] ^= 1
	os.WriteFile(seg, b, 0o640)
	rec, _ = (&wal{dir: dir}).replay(from, func(*MsgBatch) { t.Fatal("a damaged record was used") })
	if !rec.torn {
		t.Error("damaged record not reported")
	}
	// Another layout is refused, not misread.
	b[len(walMagic)+4] ^= 1
	os.WriteFile(seg, b, 0o640)
	if _, err := (&wal{dir: dir}).replay(from, func(*MsgBatch) {}); !errors.Is(err, ErrWALLayout) {
		t.Errorf("layout mismatch: %v", err)
	}
}

// Writing a batch to the log allocates nothing.
func TestWALAppendAllocs(t *testing.T) {
	msgs := simMessages(t, 300)
	w, err := openWAL(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	w.start()
	defer w.close()
	buf, _ := w.appendBatch(msgs, nil)
	if a := testing.AllocsPerRun(20, func() { buf, _ = w.appendBatch(msgs[:200], buf) }); a != 0 {
		t.Errorf("%.1f allocations per batch", a)
	}
}

func BenchmarkWALEncode(b *testing.B) {
	msgs := simMessages(b, 2000)
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf = encodeMessages(buf[:0], msgs)
	}
	b.ReportMetric(float64(len(msgs)*b.N)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64(len(buf))/float64(len(msgs)), "bytes/msg")
}
