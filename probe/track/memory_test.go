package track

import (
	"runtime"
	"testing"

	"github.com/sigprobe/sigprobe/sink"
)

// BenchmarkMemory10M tracks 10,000,000 subscribers (each seen in a cell,
// with a known MSISDN and TMSI) and reports the heap they hold: for the
// tracking state alone and with the resolver's TMSI→IMSI map. Run it with
// -benchtime 1x (make bench does): it needs about 2 GB.
func BenchmarkMemory10M(b *testing.B) {
	const n = 10_000_000
	for b.Loop() {
		var before, mid, after runtime.MemStats
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
		}
		runtime.GC()
		runtime.ReadMemStats(&mid)
		for i := range n {
			res.learnTMSI(uint32(i*2654435761), sink.Digits(15<<56|uint64(1010000000000+i)), base)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		state := float64(mid.HeapAlloc-before.HeapAlloc) / n
		total := float64(after.HeapAlloc-before.HeapAlloc) / n
		b.ReportMetric(state, "state-B/sub")
		b.ReportMetric(total, "with-tmsi-B/sub")
		runtime.KeepAlive(st)
		runtime.KeepAlive(res)
	}
}
