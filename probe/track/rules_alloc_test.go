package track

import (
	"path/filepath"
	"testing"

	"github.com/sigprobe/sigprobe/decode"
	"github.com/sigprobe/sigprobe/probe/rules"
	"github.com/sigprobe/sigprobe/sink"
)

// TestSteadyStateAllocsWithRules: with the example trigger rules (every
// kind, count, after, campaigns) evaluated on every fact, resolving,
// tracking and firing still allocate nothing per message once warm.
// Trigger IDs come from a chunked arena: an allocation per 1024 triggers,
// which AllocsPerRun's per-run average rounds away, as it should.
func TestSteadyStateAllocsWithRules(t *testing.T) {
	all, rf := dayOfMessages(t, 300)
	names := make([]string, len(rf.Regions))
	for i, r := range rf.Regions {
		names[i] = r.Name
	}
	set, err := rules.Load(filepath.Join("..", "..", "deploy", "rules.example.yaml"), names)
	if err != nil {
		t.Fatal(err)
	}
	known := map[uint64]bool{}
	first := newPipeline(rf)
	first.res.Trace = func(frame uint64, _ sink.Digits) { known[frame] = true }
	first.pass(all, 0)
	var msgs []decode.Message
	for i := range all {
		if m := &all[i]; m.Proto == decode.ProtoMAP || m.Proto == decode.ProtoNone || known[m.Frame] {
			msgs = append(msgs, *m)
		}
	}
	p := newPipeline(rf)
	eng := rules.New(set, nil, nil)
	p.state.SetRules(eng)
	day := 0
	for range 16 {
		p.pass(msgs, day)
		day++
	}
	shift := int64(day) * 86400e9
	i := 0
	allocs := testing.AllocsPerRun(len(msgs)-1, func() {
		m := &msgs[i]
		m.TsNs += shift
		p.res.Handle(m)
		m.TsNs -= shift
		i++
	})
	var fired uint64
	for _, r := range eng.Stats().Rules {
		fired += r.Fired
	}
	t.Logf("%d messages per pass, %d triggers fired over %d passes", len(msgs), fired, day+1)
	if fired == 0 {
		t.Fatal("no rule fired: the test does not exercise the engine")
	}
	if allocs != 0 {
		t.Fatalf("%v allocations per message, want 0", allocs)
	}
}
