package track

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sigprobe/sigprobe/decode"
	"github.com/sigprobe/sigprobe/probe/pcapfile"
	"github.com/sigprobe/sigprobe/sim"
	"github.com/sigprobe/sigprobe/sim/scenario"
	"github.com/sigprobe/sigprobe/sink"
)

// aOnlyDays decodes days of an A-interface-only capture (the scenario's
// transport.capture_map false) and returns the truth IMSI -> MSISDN.
func aOnlyDays(t testing.TB, n, days int) ([]decode.Message, map[sink.Digits]sink.Digits) {
	t.Helper()
	dir := t.TempDir()
	y := strings.Replace(string(scenario.DefaultYAML()), "capture_map: true", "capture_map: false", 1)
	sc, err := scenario.Parse([]byte(y), filepath.Join(dir, "a-only.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	pcap, truth := filepath.Join(dir, "a.pcap"), filepath.Join(dir, "truth")
	if _, err := sim.Run(sim.Config{Seed: 8, Subscribers: n, Days: days, Start: time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC),
		Scenario: sc, PCAP: pcap, TruthDir: truth}); err != nil {
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
	f, err := os.Open(filepath.Join(truth, "subscribers.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := map[sink.Digits]sink.Digits{}
	for _, rec := range recs[1:] {
		want[sink.MakeDigits(rec[0])] = sink.MakeDigits(rec[1])
	}
	return msgs, want
}

// On an A-interface-only tap the resolver learns MSISDNs from matched
// on-net calls, and none wrong.
func TestCallLinkLearnsNumbers(t *testing.T) {
	msgs, want := aOnlyDays(t, 1500, 2)
	for i := range msgs {
		if msgs[i].Proto == decode.ProtoMAP && msgs[i].MSISDN.N > 0 {
			t.Fatal("the A-only capture carries MAP with an MSISDN")
		}
	}
	got := map[sink.Digits]sink.Digits{}
	r := newTestResolver(func(o *Obs) {
		if o.Kind == obsIdentity && o.MSISDN != 0 {
			got[o.IMSI] = o.MSISDN
		}
	})
	for i := range msgs {
		r.Handle(&msgs[i])
	}
	wrong := 0
	for imsi, n := range got {
		if want[imsi] != n {
			wrong++
		}
	}
	s := r.Stats.Link
	t.Logf("%d subscribers; %d MSISDNs learned, %d wrong; calls linked %d, ambiguous %d, unmatched (off-net callers) %d",
		len(want), len(got), wrong, s.Linked, s.Ambiguous, s.Unmatched)
	if len(got) < len(want)/3 {
		t.Errorf("learned %d MSISDNs of %d subscribers in two days, want at least a third", len(got), len(want))
	}
	if wrong*200 > len(got) {
		t.Errorf("%d of %d learned MSISDNs are wrong, want at most 0.5%%", wrong, len(got))
	}
	if s.Linked == 0 || s.Unmatched == 0 {
		t.Errorf("stats %+v: want linked calls and unmatched (off-net) callers", s)
	}
}

// With MAP on the tap the linker stays out of the way.
func TestCallLinkOffWithMAP(t *testing.T) {
	msgs, _ := dayOfMessages(t, 300)
	r := newTestResolver(func(*Obs) {})
	for i := range msgs {
		r.Handle(&msgs[i])
	}
	if r.Stats.Link.Linked != 0 || r.link.next > 50 {
		t.Errorf("linker active with MAP: %+v, %d legs", r.Stats.Link, r.link.next)
	}
}

// Linking allocates nothing once the subscribers' votes exist.
func TestCallLinkAllocs(t *testing.T) {
	msgs, _ := aOnlyDays(t, 300, 1)
	r := newTestResolver(func(*Obs) {})
	for d := range 4 {
		shift := int64(d) * 86400e9
		for i := range msgs {
			msgs[i].TsNs += shift
			r.Handle(&msgs[i])
			msgs[i].TsNs -= shift
		}
	}
	var setups []int
	for i := range msgs {
		if m := &msgs[i]; m.Proto == decode.ProtoDTAP && m.PD == 3 && m.Type == 0x05 {
			setups = append(setups, i)
		}
	}
	l := &r.link
	k := 0
	allocs := testing.AllocsPerRun(len(setups)-1, func() {
		m := &msgs[setups[k]]
		k++
		c := sink.MakeDigits(m.Called.Bytes())
		seq := l.mo(m.TsNs, sink.Digits(k%50+1), c)
		l.mt(m.TsNs+1e9, sink.Digits(k%50+100), c, &r.Stats.Link)
		l.close(seq)
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per linked call, want 0", allocs)
	}
}

// newTestResolver is a Resolver whose observations go to emit instead of a
// State (the TMSI map still lives in a State of its own).
func newTestResolver(emit func(*Obs)) *Resolver {
	st := NewState(DefaultConfig(), &sink.Batch{}, func(b *sink.Batch) { b.Reset() })
	r := NewResolver(st)
	r.emit = emit
	return r
}
