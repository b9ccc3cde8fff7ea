package rules

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sigprobe/sigprobe/sink"
)

// t0 is Monday 2024-01-01 00:00 UTC.
var t0 = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()

const (
	mall     = 3
	campus   = 2
	airport  = 5
	downtown = 1
	homeIMSI = "001010000000001"
	roamIMSI = "310260000000001"
	msisdn1  = "999700000001"
	intl     = "4915112345678"
)

func at(d time.Duration) int64 { return t0 + int64(d) }

func dg(s string) sink.Digits { return sink.MakeDigits(s) }

// fact makes a fact of the home subscriber outside any region.
func fact(k Kind, d time.Duration, mod ...func(*Fact)) Fact {
	f := Fact{Kind: k, TS: at(d), IMSI: dg(homeIMSI), MSISDN: dg(msisdn1), Region: -1, OffS: -1, LAC: 256, CI: 10001}
	for _, m := range mod {
		m(&f)
	}
	return f
}

// in puts the fact in region r: the region entered or left, or the region
// of the fact's cell.
func in(r int32) func(*Fact) {
	return func(f *Fact) { f.Region, f.Regions = r, []int32{r} }
}
func roamer(f *Fact)               { f.IMSI, f.Roamer, f.MSISDN = dg(roamIMSI), true, 0 }
func imsi(s string) func(*Fact)    { return func(f *Fact) { f.IMSI = dg(s) } }
func msisdn(s string) func(*Fact)  { return func(f *Fact) { f.MSISDN = dg(s) } }
func off(s int64) func(*Fact)      { return func(f *Fact) { f.OffS = s } }
func stayed(s int64) func(*Fact)   { return func(f *Fact) { f.InRegionS = s } }
func mo(f *Fact)                   { f.MO = true }
func peer(s string) func(*Fact)    { return func(f *Fact) { f.Peer = dg(s) } }
func lasted(s int64) func(*Fact)   { return func(f *Fact) { f.DurationS = s } }
func answered(f *Fact)             { f.Answered = true }
func cause(c uint8) func(*Fact)    { return func(f *Fact) { f.Cause = c } }
func utc(s string) int64           { t, _ := time.Parse("2006-01-02 15:04", s); return t.UnixNano() }
func when(s string) func(*Fact)    { return func(f *Fact) { f.TS = utc(s) } }
func advance(d time.Duration) Fact { return Fact{Kind: numKinds, TS: at(d)} }

// run feeds facts (a Fact of kind numKinds means Advance to its TS) and
// returns the triggers in order.
func run(e *Engine, facts []Fact) []sink.Trigger {
	var out []sink.Trigger
	for i := range facts {
		if facts[i].Kind == numKinds {
			out = e.Advance(facts[i].TS, out)
		} else {
			out = e.Observe(&facts[i], out)
		}
	}
	return out
}

func fired(ts []sink.Trigger) string {
	var b strings.Builder
	for _, t := range ts {
		fmt.Fprintf(&b, "%s@%s ", t.Rule, time.Unix(t.TS, 0).UTC().Format("01-02T15:04:05"))
	}
	return strings.TrimSpace(b.String())
}

func TestKinds(t *testing.T) {
	for _, tc := range []struct {
		name  string
		rules string // the body of one rule named r
		facts []Fact
		want  string
	}{
		{"dwell fires at entry+T via Advance", "kind: dwell\n    regions: [mall]\n    dwell: 10m", []Fact{
			fact(RegionEnter, time.Minute, in(mall)), advance(5 * time.Minute), advance(11*time.Minute - 1), advance(30 * time.Minute),
		}, "r@01-01T00:11:00"},
		{"dwell cancelled by exit before T", "kind: dwell\n    regions: [mall]\n    dwell: 10m", []Fact{
			fact(RegionEnter, time.Minute, in(mall)), fact(RegionExit, 10*time.Minute, in(mall)), advance(time.Hour),
		}, ""},
		{"dwell exit exactly at T still fires", "kind: dwell\n    regions: [mall]\n    dwell: 10m", []Fact{
			fact(RegionEnter, time.Minute, in(mall)), fact(RegionExit, 11*time.Minute, in(mall)), advance(time.Hour),
		}, "r@01-01T00:11:00"},
		{"dwell fires before a later fact without Advance", "kind: dwell\n    dwell: 10m", []Fact{
			fact(RegionEnter, time.Minute, in(mall)), fact(LocationUpdate, 20*time.Minute, in(mall)),
		}, "r@01-01T00:11:00"},
		{"dwell once per stay, again on the next stay", "kind: dwell\n    regions: [mall]\n    dwell: 10m", []Fact{
			fact(RegionEnter, time.Minute, in(mall)), fact(RegionEnter, 3*time.Minute, in(mall)), advance(time.Hour),
			fact(RegionExit, 90*time.Minute, in(mall)), fact(RegionEnter, 2*time.Hour, in(mall)), advance(3 * time.Hour),
		}, "r@01-01T00:11:00 r@01-01T02:10:00"},
		{"dwell other region", "kind: dwell\n    regions: [mall]\n    dwell: 10m", []Fact{
			fact(RegionEnter, time.Minute, in(campus)), advance(time.Hour),
		}, ""},
		{"dwell per region without region filter", "kind: dwell\n    dwell: 10m", []Fact{
			fact(RegionEnter, time.Minute, in(campus)), fact(RegionEnter, 2*time.Minute, in(mall)), fact(RegionExit, 5*time.Minute, in(campus)), advance(time.Hour),
		}, "r@01-01T00:12:00"},
		{"silent fires at last call+T, once, and resets", "kind: silent\n    for: 3d", []Fact{
			fact(PowerOn, 0), fact(Call, time.Hour, mo), fact(LocationUpdate, 2*time.Hour), fact(Activity, 50*time.Hour),
			advance(73*time.Hour - 1), advance(73 * time.Hour), fact(LocationUpdate, 74*time.Hour), advance(200 * time.Hour),
			fact(SMS, 201*time.Hour), advance(300 * time.Hour),
		}, "r@01-04T01:00:00 r@01-12T09:00:00"},
		{"silent restarted by calls", "kind: silent\n    for: 10h", []Fact{
			fact(Seen, 0), fact(Call, 9*time.Hour), fact(SMS, 18*time.Hour), advance(27*time.Hour + 59*time.Minute), advance(28 * time.Hour),
		}, "r@01-02T04:00:00"},
		{"silent cancelled by power off", "kind: silent\n    for: 10h", []Fact{
			fact(PowerOn, 0), fact(PowerOff, 9*time.Hour), advance(30 * time.Hour),
		}, ""},
		{"silent after power off and on", "kind: silent\n    for: 10h", []Fact{
			fact(PowerOn, 0), fact(PowerOff, 9*time.Hour), fact(PowerOn, 12*time.Hour), advance(30 * time.Hour),
		}, "r@01-01T22:00:00"},
		{"power_on after >= T off", "kind: power_on\n    off_for: 6h", []Fact{
			fact(PowerOn, time.Hour, off(3600)), fact(PowerOn, 2*time.Hour), fact(PowerOn, 3*time.Hour, off(6*3600)),
		}, "r@01-01T03:00:00"},
		{"power_on in campus", "kind: power_on\n    regions: [campus]", []Fact{
			fact(PowerOn, time.Hour, in(mall)), fact(PowerOn, 2*time.Hour, in(campus)),
		}, "r@01-01T02:00:00"},
		{"power_off", "kind: power_off\n    regions: [airport]", []Fact{
			fact(PowerOff, time.Hour, in(airport)), fact(PowerOn, 2*time.Hour, in(airport)),
		}, "r@01-01T01:00:00"},
		{"roam_in first seen in network", "kind: roam_in", []Fact{
			fact(Seen, time.Hour), fact(Seen, 2*time.Hour, roamer, msisdn(intl)), fact(RegionEnter, 3*time.Hour, roamer, msisdn(intl), in(mall)),
		}, "r@01-01T02:00:00"},
		{"roam_in first seen in region", "kind: roam_in\n    regions: [airport, mall]", []Fact{
			fact(Seen, time.Minute, roamer), fact(RegionEnter, time.Hour, roamer, msisdn(intl), in(airport)), fact(RegionExit, 2*time.Hour, roamer, in(airport)),
			fact(RegionEnter, 3*time.Hour, roamer, msisdn(intl), in(airport)), fact(RegionEnter, 4*time.Hour, roamer, msisdn(intl), in(campus)),
			fact(RegionEnter, 5*time.Hour, roamer, msisdn(intl), in(mall)), fact(RegionEnter, 6*time.Hour, in(airport)),
			fact(RegionEnter, 800*time.Hour, roamer, msisdn(intl), in(airport)),
		}, "r@01-01T01:00:00 r@01-01T05:00:00 r@02-03T08:00:00"},
		{"roam_in waits for the number", "kind: roam_in", []Fact{
			fact(Seen, time.Hour, roamer), fact(Identity, time.Hour+2*time.Second, roamer, msisdn(intl)),
			fact(Seen, 2*time.Hour, roamer, imsi("310260000000002")), advance(3 * time.Hour),
			fact(Seen, 4*time.Hour, roamer, imsi("310260000000003"), msisdn(intl), func(f *Fact) { f.LAC, f.CI = 0, 0 }),
			fact(Activity, 4*time.Hour+5*time.Second, roamer, imsi("310260000000003"), msisdn(intl)),
			fact(Seen, 5*time.Hour, roamer, imsi("310260000000004"), func(f *Fact) { f.LAC, f.CI = 0, 0 }), advance(7 * time.Hour),
			fact(Activity, 8*time.Hour, roamer, imsi("310260000000004")), advance(9 * time.Hour),
		}, "r@01-01T01:00:02 r@01-01T02:00:30 r@01-01T04:00:05 r@01-01T08:00:30"},
		{"call direction, prefix, duration", "kind: call\n    direction: mo\n    peer_prefix: [\"999801234567\", \"00\"]\n    min_duration: 30s", []Fact{
			fact(Call, 1*time.Hour, mo, peer("999801234567"), lasted(40)),
			fact(Call, 2*time.Hour, peer("999801234567"), lasted(40)),
			fact(Call, 3*time.Hour, mo, peer("999801234568"), lasted(40)),
			fact(Call, 4*time.Hour, mo, peer("999801234567"), lasted(29)),
			fact(Call, 5*time.Hour, mo, peer("999801234567")),
			fact(Call, 6*time.Hour, mo, peer("0049301234567"), lasted(30)),
			fact(SMS, 7*time.Hour, mo, peer("999801234567")),
		}, "r@01-01T01:00:00 r@01-01T06:00:00"},
		{"call answered, max duration, causes", "kind: call\n    answered: true\n    max_duration: 1m", []Fact{
			fact(Call, 1*time.Hour, answered, lasted(60)), fact(Call, 2*time.Hour, answered, lasted(61)), fact(Call, 3*time.Hour, cause(19)),
		}, "r@01-01T01:00:00"},
		{"call unanswered busy or no answer", "kind: call\n    answered: false\n    causes: [17, 19]", []Fact{
			fact(Call, 1*time.Hour, answered, lasted(60), cause(16)), fact(Call, 2*time.Hour, cause(17)), fact(Call, 3*time.Hour, cause(18)),
			fact(Call, 4*time.Hour, cause(19)),
		}, "r@01-01T02:00:00 r@01-01T04:00:00"},
		{"count in a sliding window", "kind: call\n    peer_prefix: \"999801234567\"\n    count: {n: 3, within: 7d}", []Fact{
			fact(Call, 1*time.Hour, peer("999801234567")), fact(Call, 2*time.Hour, peer("999800000000")), fact(Call, 3*24*time.Hour, peer("999801234567")),
			fact(Call, 7*24*time.Hour+time.Hour, peer("999801234567")), // the first is exactly 7d old: out of the window
			fact(Call, 8*24*time.Hour, peer("999801234567")), fact(Call, 8*24*time.Hour+time.Minute, peer("999801234567")),
		}, "r@01-09T00:00:00 r@01-09T00:01:00"},
		{"roam_out to some countries", "kind: roam_out\n    country_codes: [\"33\", \"1\"]", []Fact{
			fact(RoamOut, time.Hour, peer("33600000001")), fact(RoamOut, 2*time.Hour, peer("3536000001")), fact(RoamOut, 3*time.Hour, peer("16000000001")),
			fact(RoamReturn, 4*time.Hour, peer("33600000001")),
		}, "r@01-01T01:00:00 r@01-01T03:00:00"},
		{"roam_return", "kind: roam_return\n    country_codes: \"353\"", []Fact{
			fact(RoamReturn, time.Hour, peer("33600000001")), fact(RoamReturn, 2*time.Hour, peer("3536000001")),
		}, "r@01-01T02:00:00"},
		{"call mt any peer", "kind: call\n    direction: mt", []Fact{
			fact(Call, 1*time.Hour, mo), fact(Call, 2*time.Hour),
		}, "r@01-01T02:00:00"},
		{"sms", "kind: sms\n    direction: mt\n    peer_prefix: \"9998\"", []Fact{
			fact(SMS, 1*time.Hour, mo, peer("99980")), fact(SMS, 2*time.Hour, peer("99980")), fact(SMS, 3*time.Hour, peer("99970")),
		}, "r@01-01T02:00:00"},
		{"location_update", "kind: location_update\n    regions: [downtown]", []Fact{
			fact(LocationUpdate, time.Hour), fact(LocationUpdate, 2*time.Hour, in(downtown)), fact(Activity, 3*time.Hour, in(downtown)),
		}, "r@01-01T02:00:00"},
		{"region_enter", "kind: region_enter\n    regions: [mall]", []Fact{
			fact(RegionEnter, time.Hour, in(campus)), fact(RegionEnter, 2*time.Hour, in(mall)), fact(RegionExit, 3*time.Hour, in(mall)),
		}, "r@01-01T02:00:00"},
		{"region_exit min_stay", "kind: region_exit\n    min_stay: 1h", []Fact{
			fact(RegionExit, time.Hour, in(mall), stayed(3599)), fact(RegionExit, 2*time.Hour, in(mall), stayed(3600)),
		}, "r@01-01T02:00:00"},
		{"hours wrap midnight", "kind: location_update\n    hours: \"22:00-02:00\"", []Fact{
			fact(LocationUpdate, 21*time.Hour+59*time.Minute), fact(LocationUpdate, 23*time.Hour), fact(LocationUpdate, 25*time.Hour+59*time.Minute),
			fact(LocationUpdate, 26*time.Hour), fact(LocationUpdate, 27*time.Hour),
		}, "r@01-01T23:00:00 r@01-02T01:59:00"},
		{"two windows", "kind: location_update\n    hours: [\"08:00-09:00\", \"17:00-24:00\"]", []Fact{
			fact(LocationUpdate, 8*time.Hour), fact(LocationUpdate, 9*time.Hour), fact(LocationUpdate, 23*time.Hour+59*time.Minute), fact(LocationUpdate, 24*time.Hour),
		}, "r@01-01T08:00:00 r@01-01T23:59:00"},
		{"weekdays mon-fri", "kind: location_update\n    weekdays: mon-fri", []Fact{
			fact(LocationUpdate, 1*time.Hour), fact(LocationUpdate, 4*24*time.Hour+23*time.Hour), fact(LocationUpdate, 5*24*time.Hour), fact(LocationUpdate, 7*24*time.Hour),
		}, "r@01-01T01:00:00 r@01-05T23:00:00 r@01-08T00:00:00"},
		{"weekdays wrap", "kind: location_update\n    weekdays: sat-mon", []Fact{
			fact(LocationUpdate, 24*time.Hour), fact(LocationUpdate, 5*24*time.Hour), fact(LocationUpdate, 6*24*time.Hour), fact(LocationUpdate, 7*24*time.Hour),
		}, "r@01-06T00:00:00 r@01-07T00:00:00 r@01-08T00:00:00"},
		{"dwell window checked at entry+T", "kind: dwell\n    dwell: 30m\n    hours: \"10:00-12:00\"", []Fact{
			fact(RegionEnter, 9*time.Hour+20*time.Minute, in(mall)), fact(RegionExit, 9*time.Hour+55*time.Minute, in(mall)),
			fact(RegionEnter, 9*time.Hour+40*time.Minute, in(mall)), advance(12 * time.Hour),
		}, "r@01-01T10:10:00"},
		{"roamers only", "kind: location_update\n    roamers: only", []Fact{
			fact(LocationUpdate, time.Hour), fact(LocationUpdate, 2*time.Hour, roamer),
		}, "r@01-01T02:00:00"},
		{"roamers exclude", "kind: location_update\n    roamers: exclude", []Fact{
			fact(LocationUpdate, time.Hour), fact(LocationUpdate, 2*time.Hour, roamer),
		}, "r@01-01T01:00:00"},
		{"home_plmns", "kind: location_update\n    home_plmns: [\"310260\", \"23415\"]", []Fact{
			fact(LocationUpdate, time.Hour), fact(LocationUpdate, 2*time.Hour, roamer), fact(LocationUpdate, 3*time.Hour, imsi("234150000000009")),
		}, "r@01-01T02:00:00 r@01-01T03:00:00"},
		{"imsi and msisdn prefix", "kind: location_update\n    imsi_prefix: \"0010100\"\n    msisdn_prefix: [\"99970\"]", []Fact{
			fact(LocationUpdate, time.Hour), fact(LocationUpdate, 2*time.Hour, msisdn("999710000001")), fact(LocationUpdate, 3*time.Hour, imsi("001011000000001")),
			fact(LocationUpdate, 4*time.Hour, msisdn("")),
		}, "r@01-01T01:00:00"},
		{"no imsi ignored", "kind: location_update", []Fact{
			fact(LocationUpdate, time.Hour, imsi("")),
		}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := New(mustParse(t, "rules:\n  - name: r\n    "+tc.rules+"\n"), nil, nil)
			if got := fired(run(e, tc.facts)); got != tc.want {
				t.Fatalf("fired %q\nwant  %q", got, tc.want)
			}
		})
	}
}

func TestTimezone(t *testing.T) {
	for _, tc := range []struct {
		name, zone, filter string
		times              []string // UTC
		want               string
	}{
		{"tokyo hours", "Asia/Tokyo", "hours: \"09:00-10:00\"", []string{"2024-01-01 00:30", "2024-01-01 09:30", "2024-01-01 23:59"}, "r@01-01T00:30:00"},
		{"new york weekday", "America/New_York", "weekdays: sat", []string{"2024-01-06 03:00", "2024-01-07 01:00", "2024-01-07 05:00"}, "r@01-07T01:00:00"},
		{"new york across DST", "America/New_York", "hours: \"09:00-10:00\"", []string{"2024-03-09 14:30", "2024-03-11 13:30", "2024-03-11 14:30", "2024-11-04 14:30", "2024-11-04 13:30"}, "r@03-09T14:30:00 r@03-11T13:30:00 r@11-04T14:30:00"},
		{"kathmandu quarter hour wrap", "Asia/Kathmandu", "hours: \"23:50-00:10\"", []string{"2024-01-01 18:04", "2024-01-01 18:05", "2024-01-01 18:24", "2024-01-01 18:25"}, "r@01-01T18:05:00 r@01-01T18:24:00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := New(mustParse(t, "timezone: "+tc.zone+"\nrules:\n  - name: r\n    kind: location_update\n    "+tc.filter+"\n"), nil, nil)
			var facts []Fact
			for _, s := range tc.times {
				facts = append(facts, fact(LocationUpdate, 0, when(s)))
			}
			if got := fired(run(e, facts)); got != tc.want {
				t.Fatalf("fired %q\nwant  %q", got, tc.want)
			}
		})
	}
}

func TestCaps(t *testing.T) {
	t.Run("min_interval per subscriber per rule", func(t *testing.T) {
		e := New(mustParse(t, `rules:
  - name: lu
    kind: location_update
    min_interval: 1h
  - name: lu2
    kind: location_update
`), nil, nil)
		got := fired(run(e, []Fact{
			fact(LocationUpdate, 0), fact(LocationUpdate, 30*time.Minute), fact(LocationUpdate, 40*time.Minute, roamer),
			fact(LocationUpdate, 60*time.Minute),
		}))
		if want := "lu@01-01T00:00:00 lu2@01-01T00:00:00 lu2@01-01T00:30:00 lu@01-01T00:40:00 lu2@01-01T00:40:00 lu@01-01T01:00:00 lu2@01-01T01:00:00"; got != want {
			t.Fatalf("fired %q\nwant  %q", got, want)
		}
		if s := e.Stats().Rules[0]; s.Fired != 3 || s.MinInterval != 1 {
			t.Fatalf("stats %+v", s)
		}
	})
	t.Run("daily cap across rules in the rule-set zone", func(t *testing.T) {
		e := New(mustParse(t, `timezone: Asia/Tokyo
max_per_subscriber_per_day: 2
rules:
  - name: lu
    kind: location_update
  - name: call
    kind: call
`), nil, nil)
		got := fired(run(e, []Fact{
			fact(LocationUpdate, 0, when("2024-01-01 10:00")), fact(Call, 0, when("2024-01-01 11:00")),
			fact(LocationUpdate, 0, when("2024-01-01 12:00")), fact(Call, 0, when("2024-01-01 13:00")),
			fact(LocationUpdate, 0, when("2024-01-01 13:30"), roamer),
			fact(LocationUpdate, 0, when("2024-01-01 15:00")), // 00:00 JST: a new day
		}))
		if want := "lu@01-01T10:00:00 call@01-01T11:00:00 lu@01-01T13:30:00 lu@01-01T15:00:00"; got != want {
			t.Fatalf("fired %q\nwant  %q", got, want)
		}
		s := e.Stats()
		if s.Rules[0].DailyCap != 1 || s.Rules[1].DailyCap != 1 || s.Rules[0].Fired != 3 {
			t.Fatalf("stats %+v", s.Rules)
		}
	})
	t.Run("max_per_minute shared by engines of a set", func(t *testing.T) {
		set := mustParse(t, "rules:\n  - name: lu\n    kind: location_update\n    max_per_minute: 2\n")
		a, b := New(set, nil, nil), New(set, nil, nil)
		var out []sink.Trigger
		for i, d := range []time.Duration{0, time.Second, 2 * time.Second, 59 * time.Second, 60 * time.Second} {
			e := a
			if i%2 == 1 {
				e = b
			}
			f := fact(LocationUpdate, d, imsi(fmt.Sprintf("00101000000%04d", i)))
			out = e.Observe(&f, out)
		}
		if got, want := fired(out), "lu@01-01T00:00:00 lu@01-01T00:00:01 lu@01-01T00:01:00"; got != want {
			t.Fatalf("fired %q\nwant  %q", got, want)
		}
		var s Stats
		s.Add(a.Stats())
		s.Add(b.Stats())
		if r := s.Rules[0]; r.Fired != 3 || r.RateLimited != 2 || s.Facts != 5 {
			t.Fatalf("stats %+v", s)
		}
	})
}

func attrs(t *testing.T, csv string) *Attributes {
	t.Helper()
	a, err := ParseAttributes(strings.NewReader(csv), "attrs.csv")
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestAttributes(t *testing.T) {
	set := mustParse(t, `rules:
  - name: gold
    kind: location_update
    segment: [gold, silver]
  - name: sporty
    kind: location_update
    tags_any: [sport, music]
  - name: sporty-student
    kind: location_update
    tags_all: [sport, student]
`)
	byMSISDN := attrs(t, "# comment\nmsisdn,segment,tags\n"+msisdn1+",gold,sport;student\n999700000002,bronze,music\n")
	e := New(set, byMSISDN, nil)
	out := run(e, []Fact{
		fact(LocationUpdate, time.Hour),
		fact(LocationUpdate, 2*time.Hour, msisdn("999700000002")),
		fact(LocationUpdate, 3*time.Hour, msisdn("999700000003")),
		fact(LocationUpdate, 4*time.Hour, msisdn("")),
	})
	if got, want := fired(out), "gold@01-01T01:00:00 sporty@01-01T01:00:00 sporty-student@01-01T01:00:00 sporty@01-01T02:00:00"; got != want {
		t.Fatalf("fired %q\nwant  %q", got, want)
	}
	if out[0].Attrs != "segment=gold;tags=sport,student" || out[3].Attrs != "segment=bronze;tags=music" {
		t.Fatalf("attrs %q, %q", out[0].Attrs, out[3].Attrs)
	}

	// Reload: keyed by IMSI now, swapped in place.
	e.SetAttributes(attrs(t, "IMSI,tags\n"+roamIMSI+",sport\n"))
	out = run(e, []Fact{fact(LocationUpdate, 5*time.Hour), fact(LocationUpdate, 6*time.Hour, roamer)})
	if got, want := fired(out), "sporty@01-01T06:00:00"; got != want {
		t.Fatalf("after reload fired %q\nwant  %q", got, want)
	}
	if out[0].Attrs != "tags=sport" {
		t.Fatalf("attrs %q", out[0].Attrs)
	}
	if s := e.Stats().Rules[0]; s.Fired != 1 || s.Filtered != 5 {
		t.Fatalf("stats %+v", s)
	}
}

// Spreadsheets start a CSV with a UTF-8 byte-order mark: it is skipped.
func TestAttributesByteOrderMark(t *testing.T) {
	for _, tc := range []struct{ name, csv string }{
		{"msisdn", "\ufeffmsisdn,segment,tags\n" + msisdn1 + ",gold,sport\r\n"},
		{"comment first", "\ufeff# exported 2026-10-01\nmsisdn,segment\n" + msisdn1 + ",gold\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := attrs(t, tc.csv)
			if a.Len() != 1 {
				t.Fatalf("%d rows read", a.Len())
			}
		})
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "in.txt")
	if err := os.WriteFile(in, []byte("\ufeff+"+msisdn1+"\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := LoadConsent(in, "")
	if err != nil {
		t.Fatal(err)
	}
	if !c.listed(c.in, 0, dg(msisdn1)) {
		t.Fatal("the MSISDN after the byte-order mark is not on the list")
	}
}

func TestAttributesErrors(t *testing.T) {
	for _, tc := range []struct{ name, csv, want string }{
		{"empty", "", "attrs.csv: line 1: want a header"},
		{"bad key column", "phone,segment\n", "attrs.csv: line 1: column 1: want msisdn or imsi"},
		{"unknown column", "msisdn,segment,colour\n", "attrs.csv: line 1: column 3: want segment or tags"},
		{"bad number", "msisdn,segment\n12ab,gold\n", "attrs.csv: line 2: msisdn: want 1-15 digits"},
		{"duplicate", "msisdn,segment\n123,gold\n\n123,silver\n", "attrs.csv: line 4: msisdn: duplicate (first at line 2)"},
		{"field count", "msisdn,segment\n123,gold,x\n", "attrs.csv: record on line 2: wrong number of fields"},
		{"UTF-16", "\xff\xfem\x00s\x00", "attrs.csv: line 1: the file is UTF-16; save it as UTF-8"},
		{"a byte-order mark is no column name", "\ufeff\ufeffmsisdn,segment\n", "attrs.csv: line 1: column 1: want msisdn or imsi"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseAttributes(strings.NewReader(tc.csv), "attrs.csv")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

func TestConsent(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("in.txt", "# opted in\n+"+msisdn1+"\n\n"+roamIMSI+"\n")
	write("out.txt", "001010000000002\n")
	rulesPath := write("rules.yaml", `opt_in: in.txt
opt_out: out.txt
rules:
  - name: consented
    kind: location_update
    require_consent: true
  - name: anyone
    kind: location_update
`)
	set, err := Load(rulesPath, regionNames)
	if err != nil {
		t.Fatal(err)
	}
	c, err := LoadConsent(set.ConsentFiles())
	if err != nil {
		t.Fatal(err)
	}
	facts := []Fact{
		fact(LocationUpdate, time.Hour),                                             // opted in by MSISDN
		fact(LocationUpdate, 2*time.Hour, roamer),                                   // opted in by IMSI
		fact(LocationUpdate, 3*time.Hour, imsi("001010000000002")),                  // opted out (and in, by MSISDN): out wins
		fact(LocationUpdate, 4*time.Hour, imsi("001010000000003"), msisdn("99970")), // neither
	}
	e := New(set, nil, c)
	if got, want := fired(run(e, facts)), "consented@01-01T01:00:00 anyone@01-01T01:00:00 consented@01-01T02:00:00 anyone@01-01T02:00:00 anyone@01-01T04:00:00"; got != want {
		t.Fatalf("fired %q\nwant  %q", got, want)
	}
	s := e.Stats().Rules
	if s[0].OptedOut != 1 || s[0].NoOptIn != 1 || s[1].OptedOut != 1 || s[1].NoOptIn != 0 {
		t.Fatalf("stats %+v", s)
	}
	// Without lists, require_consent never fires.
	e = New(set, nil, nil)
	if got, want := fired(run(e, facts[:1])), "anyone@01-01T01:00:00"; got != want {
		t.Fatalf("no lists: fired %q, want %q", got, want)
	}
	// Reload the lists.
	e.SetConsent(NewConsent([]sink.Digits{dg(homeIMSI)}, nil))
	f := fact(LocationUpdate, 5*time.Hour)
	if got := fired(e.Observe(&f, nil)); got != "consented@01-01T05:00:00 anyone@01-01T05:00:00" {
		t.Fatalf("after SetConsent: %q", got)
	}

	if _, err := LoadConsent(write("bad.txt", "123\n12x\n"), ""); err == nil || !strings.Contains(err.Error(), "bad.txt: line 2: want an MSISDN or IMSI") {
		t.Fatalf("bad list: %v", err)
	}
}

func TestTriggerFields(t *testing.T) {
	set := mustParse(t, `rules:
  - name: dwell
    kind: dwell
    dwell: 10m
  - name: exit
    kind: region_exit
  - name: lu
    kind: location_update
`)
	e := New(set, attrs(t, "imsi,segment\n"+roamIMSI+",vip\n"), nil)
	out := run(e, []Fact{
		fact(RegionEnter, 0, roamer, in(mall), msisdn("4915112345678")),
		fact(LocationUpdate, time.Minute, roamer, in(mall)),
		fact(LocationUpdate, time.Minute, in(mall), imsi("234150000000009")),
		fact(RegionExit, time.Hour, roamer, in(mall), stayed(3600)),
	})
	if len(out) != 4 {
		t.Fatalf("fired %s", fired(out))
	}
	want := sink.Trigger{Rule: "dwell", Kind: "dwell", TS: at(10*time.Minute) / 1e9, IMSI: dg(roamIMSI), MSISDN: dg("4915112345678"),
		Region: "mall", LAC: 256, CI: 10001, DwellS: 600, HomeMCC: "310", HomeMNC: "260", Attrs: "segment=vip"}
	got := out[2]
	if got.ID == "" {
		t.Fatal("no ID")
	}
	want.ID = got.ID
	if got != want {
		t.Fatalf("trigger\n%+v\nwant\n%+v", got, want)
	}
	if h := out[1]; h.HomeMCC != "234" || h.HomeMNC != "15" || h.MSISDN != dg(msisdn1) || h.Attrs != "" || h.DwellS != 0 {
		t.Fatalf("home trigger %+v", h)
	}
	if x := out[3]; x.Kind != "region_exit" || x.DwellS != 3600 || x.Region != "mall" {
		t.Fatalf("exit trigger %+v", x)
	}
	for _, tc := range []struct{ imsi, mcc, mnc string }{
		{"001010123456789", "001", "01"}, {"310150123456789", "310", "150"}, {"722070123456789", "722", "070"},
		{"262011234567890", "262", "01"}, {"40512345", "405", "123"}, {"12345", "", ""},
	} {
		if mcc, mnc := homePLMN(dg(tc.imsi)); mcc != tc.mcc || mnc != tc.mnc {
			t.Errorf("%s: %q %q, want %q %q", tc.imsi, mcc, mnc, tc.mcc, tc.mnc)
		}
	}
}

func TestTriggerIDs(t *testing.T) {
	set := mustParse(t, `rules:
  - name: a
    kind: location_update
  - name: b
    kind: location_update
  - name: d
    kind: dwell
    dwell: 1m
`)
	var facts []Fact
	for i := range 50 {
		facts = append(facts,
			fact(LocationUpdate, time.Duration(i)*time.Second),
			fact(LocationUpdate, time.Duration(i)*time.Second, roamer),
			fact(RegionEnter, time.Duration(i)*time.Second, in(mall), imsi(fmt.Sprintf("0010100000%05d", i))),
			fact(RegionEnter, time.Duration(i)*time.Second, in(campus), imsi(fmt.Sprintf("0010100000%05d", i))),
		)
	}
	facts = append(facts, advance(time.Hour))
	first := run(New(set, nil, nil), facts)
	again := run(New(set, nil, nil), facts)
	if len(first) != 300 || len(again) != len(first) {
		t.Fatalf("%d and %d triggers", len(first), len(again))
	}
	seen := map[string]bool{}
	for i, tr := range first {
		if len(tr.ID) != 32 || strings.Trim(tr.ID, "0123456789abcdef") != "" {
			t.Fatalf("ID %q is not 32 hex digits", tr.ID)
		}
		if seen[tr.ID] {
			t.Fatalf("duplicate ID %s (%+v)", tr.ID, tr)
		}
		seen[tr.ID] = true
		if again[i].ID != tr.ID {
			t.Fatalf("ID not deterministic: %s vs %s", tr.ID, again[i].ID)
		}
	}
}

func TestSweepForgetsState(t *testing.T) {
	set := mustParse(t, `max_per_subscriber_per_day: 10
rules:
  - name: lu
    kind: location_update
    min_interval: 1h
  - name: welcome
    kind: roam_in
    regions: [mall]
  - name: d
    kind: dwell
    dwell: 1m
`)
	e := New(set, nil, nil)
	run(e, []Fact{fact(LocationUpdate, 0), fact(RegionEnter, 0, roamer, msisdn("4915112345678"), in(mall))})
	if len(e.lastFired) != 1 || len(e.daily) != 2 || len(e.once) != 1 || len(e.index) != 1 {
		t.Fatalf("state %d %d %d %d", len(e.lastFired), len(e.daily), len(e.once), len(e.index))
	}
	run(e, []Fact{advance(40 * 24 * time.Hour)})
	if len(e.lastFired)+len(e.daily)+len(e.once)+len(e.index) != 0 || e.Stats().Pending != 0 {
		t.Fatalf("state left %d %d %d %d", len(e.lastFired), len(e.daily), len(e.once), len(e.index))
	}
}
