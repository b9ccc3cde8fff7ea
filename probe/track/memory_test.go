package track

import (
	"runtime"
	"testing"

	"github.com/sigprobe/sigprobe/sink"
)

// bytesPerSubscriber tracks n subscribers, each seen in a cell, with a
// known MSISDN and a TMSI mapped to its IMSI, and returns the heap they
// hold per subscriber: the subscriber table, its IMSI index and the TMSI
// index (sized for n up front, as Config.Subscribers does).
func bytesPerSubscriber(n int) float64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var batch sink.Batch
	cfg := DefaultConfig()
	cfg.Subscribers = n
	st := NewState(cfg, &batch, func(bt *sink.Batch) { bt.Reset() })
	res := NewResolver(st)
	var o Obs
	base := int64(1790812800e9)
	for i := range n {
		imsi := sink.Digits(15<<56 | uint64(1010000000000+i))
		o = Obs{TS: base + int64(i)*1000, IMSI: imsi, Kind: obsCell, Cell: mkCell(uint16(256+i%30), uint16(10000+i%480))}
		st.Observe(&o)
		o = Obs{TS: base + int64(i)*1000, IMSI: imsi, Kind: obsIdentity, MSISDN: sink.Digits(12<<56 | uint64(999700000000+i))}
		st.Observe(&o)
		res.learnTMSI(mkTMSIKey(uint16(i%8), uint32((i+1)*2654435761)), imsi, base) // TMSI 0 is none
	}
	batch.Reset()
	runtime.GC()
	runtime.ReadMemStats(&after)
	if st.TMSIs() != n || st.Len() != n {
		panic("subscribers or TMSIs lost")
	}
	runtime.KeepAlive(st)
	runtime.KeepAlive(res)
	return float64(after.HeapAlloc-before.HeapAlloc) / float64(n)
}

// MaxBytesPerSubscriber is what a tracked subscriber may cost, TMSI
// included (README: 64 bytes).
const MaxBytesPerSubscriber = 64

// BenchmarkMemory10M tracks 10,000,000 subscribers (make bench runs it;
// about 650 MB and two minutes).
func BenchmarkMemory10M(b *testing.B) {
	for b.Loop() {
		b.ReportMetric(bytesPerSubscriber(10_000_000), "B/sub")
	}
}

// The same at two million subscribers, in the default suite: every cost is
// per subscriber, so the bound holds at any size given up front (the
// State's fixed costs, ~300 kB, still show at a million: 63.9 B).
func TestMemoryPerSubscriber(t *testing.T) {
	got := bytesPerSubscriber(2_000_000)
	t.Logf("%.1f bytes per subscriber with its MSISDN and TMSI", got)
	if got > MaxBytesPerSubscriber {
		t.Fatalf("%.1f bytes per subscriber, want at most %d", got, MaxBytesPerSubscriber)
	}
}
