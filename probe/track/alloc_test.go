package track

import (
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/sigprobe/sigprobe/decode"
	"github.com/sigprobe/sigprobe/format/regions"
	"github.com/sigprobe/sigprobe/probe/pcapfile"
	"github.com/sigprobe/sigprobe/sim"
	"github.com/sigprobe/sigprobe/sim/scenario"
	"github.com/sigprobe/sigprobe/sink"
)

// dayOfMessages decodes a simulated day of n subscribers.
func dayOfMessages(t testing.TB, n int) ([]decode.Message, *regions.File) {
	dir := t.TempDir()
	sc, _ := scenario.Load("")
	pcap, truth := filepath.Join(dir, "d.pcap"), filepath.Join(dir, "truth")
	if _, err := sim.Run(sim.Config{Seed: 5, Subscribers: n, Days: 1, Start: time.Date(2026, 10, 7, 0, 0, 0, 0, time.UTC),
		Scenario: sc, PCAP: pcap, TruthDir: truth}); err != nil {
		t.Fatal(err)
	}
	rf, err := regions.Load(filepath.Join(truth, "regions.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := pcapfile.Open(pcap)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	st := decode.NewStack()
	st.SCCPEvents = true
	var msgs []decode.Message
	for {
		data, ci, lt, err := r.Next()
		if err != nil {
			break
		}
		msgs, _ = st.Decode(msgs, lt, r.Frame, ci.Timestamp.UnixNano(), data)
	}
	return msgs, rf
}

// pipeline is the resolver and state with a batch that is flushed by dropping.
type pipeline struct {
	res   *Resolver
	state *State
	batch sink.Batch
	rows  uint64
}

func newPipeline(rf *regions.File) *pipeline {
	p := &pipeline{}
	cfg := DefaultConfig()
	cfg.Regions = rf
	p.state = NewState(cfg, &p.batch, func(b *sink.Batch) { p.rows += uint64(b.Len()); b.Reset() })
	p.res = NewResolver(p.state)
	return p
}

// pass feeds the day again, shifted by days, as the next day's traffic of
// the same subscribers.
func (p *pipeline) pass(msgs []decode.Message, days int) {
	shift := int64(days) * 86400e9
	for i := range msgs {
		m := &msgs[i]
		m.TsNs += shift
		p.res.Handle(m)
		m.TsNs -= shift
	}
}

// TestSteadyStateAllocs: once every subscriber is known and the tables have
// grown, resolving and tracking a day of signaling allocates nothing. The
// few subscribers whose identity never shows in the day (no paging, no IMSI
// on the A-interface) are left out: for them the resolver is not in steady
// state but holding their history, and pools that.
func TestSteadyStateAllocs(t *testing.T) {
	all, rf := dayOfMessages(t, 300)
	known := map[uint64]bool{}
	probe := newPipeline(rf)
	probe.res.Trace = func(frame uint64, _ sink.Digits) { known[frame] = true }
	probe.pass(all, 0)
	var msgs []decode.Message
	for i := range all {
		if m := &all[i]; m.Proto == decode.ProtoMAP || m.Proto == decode.ProtoNone || known[m.Frame] {
			msgs = append(msgs, *m)
		}
	}
	p := newPipeline(rf)
	day := 0
	for range 16 { // grow every table, pool and buffer
		p.pass(msgs, day)
		day++
	}
	// Per message, over a whole further day: AllocsPerRun divides the
	// mallocs by the runs.
	shift := int64(day) * 86400e9
	i := 0
	allocs := testing.AllocsPerRun(len(msgs)-1, func() {
		m := &msgs[i]
		m.TsNs += shift
		p.res.Handle(m)
		m.TsNs -= shift
		i++
	})
	t.Logf("%d messages per pass, %d rows so far", len(msgs), p.rows)
	if allocs != 0 {
		t.Fatalf("%v allocations per message, want 0", allocs)
	}
	// And the whole next day: nothing but the odd growth of a table that
	// has not yet met its busiest minute.
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	p.pass(msgs, day+1)
	runtime.ReadMemStats(&after)
	if n := after.Mallocs - before.Mallocs; n > 16 {
		t.Fatalf("%d allocations in a day of %d messages", n, len(msgs))
	}
}

// BenchmarkTrack measures resolving and tracking alone (decoding excluded).
func BenchmarkTrack(b *testing.B) {
	msgs, rf := dayOfMessages(b, 1000)
	p := newPipeline(rf)
	p.pass(msgs, 0)
	day := 1
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		p.pass(msgs, day)
		day++
		n += len(msgs)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "msgs/s")
}

func BenchmarkSteadyPass(b *testing.B) {
	msgs, rf := dayOfMessages(b, 300)
	p := newPipeline(rf)
	for d := range 3 {
		p.pass(msgs, d)
	}
	day := 3
	b.ReportAllocs()
	for b.Loop() {
		p.pass(msgs, day)
		day++
	}
}

// TestReconfigureKeepsSubscribers swaps the region file mid-stream: nobody
// is forgotten, kept regions keep their occupancy, a new region starts with
// everyone already in its cells.
func TestReconfigureKeepsSubscribers(t *testing.T) {
	msgs, rf := dayOfMessages(t, 300)
	p := newPipeline(rf)
	half := len(msgs) / 2
	for i := range msgs[:half] {
		p.res.Handle(&msgs[i])
	}
	subs := len(p.state.subs)
	mall := -1
	for g, n := range p.state.reg.names {
		if n == "mall" {
			mall = g
		}
	}
	before := p.state.reg.live[mall]
	// New file: the mall kept, a new region made of every cell seen so far.
	nf := &regions.File{Regions: []regions.Region{rf.Regions[mall]}}
	all := regions.Region{Name: "everywhere", Kind: "test"}
	seen := map[cellKey]bool{}
	inside := int32(0)
	for i := range p.state.subs {
		if c := p.state.subs[i].cell; c != 0 {
			inside++
			if !seen[c] {
				seen[c] = true
				all.Cells = append(all.Cells, regions.Cell{LAC: c.lac(), CI: c.ci()})
			}
		}
	}
	nf.Regions = append(nf.Regions, all)
	p.state.Reconfigure(nf, nil)
	if len(p.state.subs) != subs {
		t.Fatalf("%d subscribers after reconfiguring, %d before", len(p.state.subs), subs)
	}
	if got := p.state.reg.live[0]; got != before {
		t.Fatalf("mall occupancy %d after reconfiguring, %d before", got, before)
	}
	if got := p.state.reg.live[1]; got != inside {
		t.Fatalf("new region holds %d, %d subscribers are in its cells", got, inside)
	}
	for i := range msgs[half:] {
		p.res.Handle(&msgs[half+i])
	}
	p.state.Close(msgs[len(msgs)-1].TsNs)
}
