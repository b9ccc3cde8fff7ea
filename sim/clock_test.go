package sim

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sigprobe/sigprobe/format/calendar"
	"github.com/sigprobe/sigprobe/format/regions"
	"github.com/sigprobe/sigprobe/sim/scenario"
)

// scenarioWith returns the default scenario with text replacements (old,
// new pairs) and a calendar file beside it.
func scenarioWith(t testing.TB, cal string, edits ...string) *scenario.Scenario {
	t.Helper()
	s := string(scenario.DefaultYAML())
	for i := 0; i+1 < len(edits); i += 2 {
		if !strings.Contains(s, edits[i]) {
			t.Fatalf("default scenario has no %q", edits[i])
		}
		s = strings.Replace(s, edits[i], edits[i+1], 1)
	}
	dir := t.TempDir()
	if cal != "" {
		if err := os.WriteFile(filepath.Join(dir, "cal.csv"), []byte(cal), 0o644); err != nil {
			t.Fatal(err)
		}
		s = strings.Replace(s, `calendar: ""`, `calendar: cal.csv`, 1)
	}
	path := filepath.Join(dir, "scenario.yaml")
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	sc, err := scenario.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func generateSc(t testing.TB, sc *scenario.Scenario, subs, days int, seed uint64) run {
	t.Helper()
	dir := t.TempDir()
	r := run{pcap: filepath.Join(dir, "sim.pcap"), truth: filepath.Join(dir, "truth")}
	r.stats, r.err = Run(Config{Seed: seed, Subscribers: subs, Days: days,
		Start: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), Scenario: sc, PCAP: r.pcap, TruthDir: r.truth})
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r
}

const goldenWeek = `date,kind,name
2026-10-01,holiday,National Day
2026-10-02,holiday,National Day
2026-10-05,holiday,National Day
2026-10-10,workday,make-up working day
`

// A town at UTC+8 with a holiday calendar: days start at local midnight,
// members work their local hours on the calendar's working days (make-up
// Saturday included) and rest on its holidays.
func TestLocalTimeAndCalendar(t *testing.T) {
	if testing.Short() {
		t.Skip("a simulated fortnight; skipped with -short")
	}
	sc := scenarioWith(t, goldenWeek, "timezone: UTC", "timezone: Asia/Shanghai")
	r := generateSc(t, sc, 800, 14, 3)
	loc, _ := time.LoadLocation("Asia/Shanghai")
	start := time.Date(2026, 10, 1, 0, 0, 0, 0, loc).Unix()

	rf, err := regions.Load(filepath.Join(r.truth, "regions.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	g := rf.Groups[0]
	if g.Timezone != "Asia/Shanghai" || g.Calendar != "calendar.csv" {
		t.Fatalf("regions.yaml group %s: timezone %q calendar %q", g.Name, g.Timezone, g.Calendar)
	}
	cal, err := calendar.Load(rf.CalendarPath(&g))
	if err != nil || len(cal.Days) != 4 {
		t.Fatalf("truth calendar: %v", err)
	}
	cells := map[string]bool{}
	for _, rg := range rf.Regions {
		if rg.Name == g.Region {
			for _, c := range rg.Cells {
				cells[strconv.Itoa(int(c.LAC))+"-"+strconv.Itoa(int(c.CI))] = true
			}
		}
	}
	members := map[string]bool{}
	for _, s := range readCSV(t, filepath.Join(r.truth, "subscribers.csv")) {
		if s["role"] == "member" && s["group"] == g.Name {
			members[s["imsi"]] = true
		}
	}
	// Share of members in the region at local 11:00 and at local 03:00, per day.
	at := make([][2]int, 14)
	first := int64(1 << 62)
	for _, x := range readCSV(t, filepath.Join(r.truth, "location.csv")) {
		st, _ := strconv.ParseInt(x["start_ts"], 10, 64)
		en, _ := strconv.ParseInt(x["end_ts"], 10, 64)
		first = min(first, st)
		if !members[x["imsi"]] || !cells[x["lac"]+"-"+x["ci"]] {
			continue
		}
		for d := range 14 {
			day := time.Date(2026, 10, 1+d, 0, 0, 0, 0, loc).Unix()
			for k, h := range []int64{11, 3} {
				if ts := day + h*3600; st <= ts && ts < en {
					at[d][k]++
				}
			}
		}
	}
	if first < start {
		t.Errorf("location starts at %d, before local midnight %d", first, start)
	}
	for d := range 14 {
		date := time.Date(2026, 10, 1+d, 0, 0, 0, 0, loc)
		works := cal.Works(2026, 10, 1+d, 0b0111110)
		share := float64(at[d][0]) / float64(len(members))
		t.Logf("%s %-9s works %-5v at 11:00 %.2f, at 03:00 %d", date.Format("01-02"), date.Weekday(), works, share, at[d][1])
		if works && share < 0.5 || !works && share > 0.1 {
			t.Errorf("%s (%s, working day %v): %.2f of %s's members in %s at 11:00 local", date.Format("2006-01-02"), date.Weekday(), works, share, g.Name, g.Region)
		}
		if float64(at[d][1]) > 0.2*float64(len(members)) {
			t.Errorf("%s: %d members in the office at 03:00 local", date.Format("2006-01-02"), at[d][1])
		}
	}
}

// With capture_map false the capture holds the A-interface only: no MAP
// message from the core links in the capture or in messages.csv, and the
// same dwell truth.
func TestAInterfaceOnly(t *testing.T) {
	full := generateSc(t, scenarioWith(t, ""), 200, 1, 9)
	aOnly := generateSc(t, scenarioWith(t, "", "capture_map: true", "capture_map: false"), 200, 1, 9)
	for _, r := range []run{full, aOnly} {
		n := 0
		for _, m := range readCSV(t, filepath.Join(r.truth, "messages.csv")) {
			// USSD's MAP component rides in DTAP on the A-interface.
			if m["proto"] == "map" && m["name"] != "processUnstructuredSS-Request" {
				n++
			}
		}
		if want := r.pcap == full.pcap; (n > 0) != want {
			t.Errorf("%s: %d MAP messages in messages.csv", r.pcap, n)
		}
	}
	a, _ := os.ReadFile(filepath.Join(full.truth, "dwell.csv"))
	b, _ := os.ReadFile(filepath.Join(aOnly.truth, "dwell.csv"))
	if string(a) != string(b) || len(a) < 1000 {
		t.Error("dwell.csv differs between the full and the A-interface-only capture")
	}
	if aOnly.stats.Packets >= full.stats.Packets {
		t.Errorf("A-only capture has %d packets, the full one %d", aOnly.stats.Packets, full.stats.Packets)
	}
}
