package rules

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sigprobe/sigprobe/sink"
)

const benchRules = `timezone: Europe/Berlin
max_per_subscriber_per_day: 50
opt_in: in.txt
rules:
  - name: roamer-mall
    kind: dwell
    regions: [mall]
    dwell: 1m
    roamers: only
    require_consent: true
    min_interval: 10m
  - name: dwell-any
    kind: dwell
    dwell: 3m
    hours: ["07:00-23:00"]
  - name: campus-on
    kind: power_on
    regions: [campus]
    off_for: 30s
    weekdays: mon-sun
  - name: off
    kind: power_off
  - name: hotline
    kind: call
    direction: mo
    peer_prefix: ["999801234567"]
    min_duration: 10s
    max_per_minute: 100000
  - name: sms
    kind: sms
    segment: [gold, silver]
    tags_any: [sport]
  - name: lu
    kind: location_update
    msisdn_prefix: ["99970"]
    min_interval: 5m
  - name: enter
    kind: region_enter
    hours: "22:00-06:00"
  - name: exit
    kind: region_exit
    min_stay: 1m
  - name: welcome
    kind: roam_in
  - name: welcome-mall
    kind: roam_in
    regions: [mall]
  - name: silent
    kind: silent
    for: 4m
  - name: hotline-thrice
    kind: call
    peer_prefix: ["9998"]
    count: {n: 3, within: 1h}
  - name: unanswered
    kind: call
    answered: false
    causes: [19]
  - name: short-call
    kind: call
    answered: true
    max_duration: 30s
  - name: mall-after-hotline
    kind: region_enter
    after: {rule: hotline, within: 1h}
    campaign: c1
    control_share: 0.5
  - name: abroad
    kind: roam_out
    country_codes: ["33"]
  - name: back
    kind: roam_return
`

// benchStream is a steady stream: nSubs subscribers going through the same
// day again and again (enter, signaling, call, SMS, exit, off, on).
type benchStream struct {
	tmpl []Fact
	i    int
	ts   int64
	dt   int64
}

func newBenchStream(nSubs int) *benchStream {
	// Each subscriber takes a step every 100 s; the run crosses 22:00 Berlin
	// time and, when long enough, the DST change.
	s := &benchStream{ts: time.Date(2024, 3, 30, 20, 0, 0, 0, time.UTC).UnixNano(), dt: int64(100*time.Second) / int64(nSubs)}
	for n := range nSubs {
		f := Fact{IMSI: sink.MakeDigits(fmt.Sprintf("00101%010d", n)), MSISDN: sink.MakeDigits(fmt.Sprintf("99970%07d", n)), LAC: 256, CI: uint16(n), OffS: -1}
		if n%5 == 0 {
			f.IMSI, f.Roamer, f.MSISDN = sink.MakeDigits(fmt.Sprintf("31026%010d", n)), true, 0
		}
		region := int32(n % len(regionNames))
		regs := []int32{int32(region)}
		step := func(k Kind, mod func(*Fact)) {
			g := f
			g.Kind, g.Region, g.Regions = k, region, regs
			if k != RegionEnter && k != RegionExit {
				g.Region = -1
			}
			if mod != nil {
				mod(&g)
			}
			s.tmpl = append(s.tmpl, g)
		}
		step(Seen, nil)
		step(RegionEnter, nil)
		step(LocationUpdate, nil)
		step(Call, func(g *Fact) {
			g.MO, g.Peer, g.DurationS, g.Answered, g.Cause = n%2 == 0, sink.MakeDigits("999801234567"), 20, true, 16
			if n%3 == 0 {
				g.DurationS, g.Answered, g.Cause = 0, false, 19
			}
		})
		step(Identity, nil)
		step(SMS, func(g *Fact) { g.Peer = sink.MakeDigits("999700000009") })
		step(Activity, nil)
		step(RegionExit, func(g *Fact) { g.InRegionS = 300 })
		step(PowerOff, nil)
		if !f.Roamer {
			step(RoamOut, func(g *Fact) { g.Peer, g.LAC, g.CI, g.Regions = sink.MakeDigits("33600000001"), 0, 0, nil })
			step(RoamReturn, func(g *Fact) { g.Peer = sink.MakeDigits("33600000001") })
		} else {
			step(Activity, nil)
			step(Activity, nil)
		}
		step(PowerOn, func(g *Fact) { g.OffS = 60 })
	}
	// Interleave subscribers: template order is subscriber-major, so walk it
	// step-major for a realistic mix.
	per := len(s.tmpl) / nSubs
	mixed := make([]Fact, 0, len(s.tmpl))
	for k := range per {
		for n := range nSubs {
			mixed = append(mixed, s.tmpl[n*per+k])
		}
	}
	s.tmpl = mixed
	return s
}

// next returns the next fact.
func (s *benchStream) next(f *Fact) {
	*f = s.tmpl[s.i]
	s.ts += s.dt
	f.TS = s.ts
	if s.i++; s.i == len(s.tmpl) {
		s.i = 0
	}
}

func benchEngine(tb testing.TB, nSubs int) *Engine {
	set := mustParse(tb, benchRules)
	var optIn []sink.Digits
	rows := "imsi,segment,tags\n"
	for n := 0; n < nSubs; n += 3 {
		optIn = append(optIn, sink.MakeDigits(fmt.Sprintf("31026%010d", n)))
		rows += fmt.Sprintf("00101%010d,gold,sport;music\n", n)
	}
	a, err := ParseAttributes(stringsReader(rows), "bench.csv")
	if err != nil {
		tb.Fatal(err)
	}
	return New(set, a, NewConsent(optIn, nil))
}

// TestSteadyStateAllocs: once warm, Observe and Advance allocate nothing per
// fact. Trigger IDs come from a chunked arena (one allocation per 1024
// triggers), which averages to zero per fact.
func TestSteadyStateAllocs(t *testing.T) {
	e := benchEngine(t, 500)
	s := newBenchStream(500)
	out := make([]sink.Trigger, 0, 1024)
	var f Fact
	var fired int
	step := func() {
		s.next(&f)
		out = e.Observe(&f, out[:0])
		out = e.Advance(f.TS+int64(time.Millisecond), out)
		fired += len(out)
	}
	for range 4 * len(s.tmpl) {
		step()
	}
	fired = 0
	if a := testing.AllocsPerRun(2*len(s.tmpl), step); a != 0 {
		t.Fatalf("%v allocations per fact", a)
	}
	st := e.Stats()
	var kinds int
	for _, r := range st.Rules {
		if r.Fired > 0 {
			kinds++
		}
	}
	if fired == 0 || kinds != len(st.Rules) {
		t.Fatalf("the stream should fire every rule: %d triggers, %d rules fired: %+v", fired, kinds, st.Rules)
	}
}

func BenchmarkObserve(b *testing.B) {
	e := benchEngine(b, 10000)
	s := newBenchStream(10000)
	out := make([]sink.Trigger, 0, 1024)
	var f Fact
	for range len(s.tmpl) {
		s.next(&f)
		out = e.Observe(&f, out[:0])
	}
	var fired int
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		s.next(&f)
		out = e.Observe(&f, out[:0])
		fired += len(out)
	}
	b.ReportMetric(float64(fired)/float64(b.N), "triggers/fact")
}

func stringsReader(s string) *strings.Reader { return strings.NewReader(s) }
