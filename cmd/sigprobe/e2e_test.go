package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/sigprobe/sigprobe/sim/scenario"
)

// The end-to-end tests grade the probe against the simulator's truth through
// the command line: `sigprobe gen` writes a town and its truth, `sigprobe
// replay` runs the capture through the probe with trigger rules and an
// embedded NATS, and the tests compare the tables with what the truth files
// alone say. The town is a held-out seed (11, never used while the rules
// engine and the reference were written), two days from Thursday 2026-10-01,
// 3,000 subscribers, the default scenario with more, shorter trips abroad so
// roam-out and the return both happen in two days, and a campaign response
// window of 12 hours so that most contacts' windows end within them.

// SIGPROBE_E2E_SEED, _SUBSCRIBERS and _DAYS change the town for longer
// runs (make e2e-long).
var (
	e2eSeed  = envOr("SIGPROBE_E2E_SEED", "11")
	e2eStart = "2026-10-01"
	e2eSubs  = envOr("SIGPROBE_E2E_SUBSCRIBERS", "3000")
	e2eDays  = envOr("SIGPROBE_E2E_DAYS", "2")
)

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// e2eTown is the town on disk, made once per test binary.
type e2eTown struct {
	dir, pcap, truth, out, rules string
}

var (
	e2eOnce sync.Once
	e2e     e2eTown
	e2eErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if e2e.dir != "" && os.Getenv("SIGPROBE_KEEP_E2E") == "" {
		os.RemoveAll(e2e.dir)
	} else if e2e.dir != "" {
		fmt.Fprintf(os.Stderr, "end-to-end town kept in %s\n", e2e.dir)
	}
	os.Exit(code)
}

func town(t testing.TB) *e2eTown {
	t.Helper()
	if testing.Short() {
		t.Skip("simulates and replays a two-day town of 3,000 subscribers (about a minute); skipped with -short")
	}
	e2eOnce.Do(func() { e2eErr = makeTown() })
	if e2eErr != nil {
		t.Fatal(e2eErr)
	}
	return &e2e
}

func makeTown() error {
	dir, err := os.MkdirTemp("", "sigprobe-e2e-")
	if err != nil {
		return err
	}
	e2e = e2eTown{dir: dir, pcap: filepath.Join(dir, "town.pcap"), truth: filepath.Join(dir, "truth"), out: filepath.Join(dir, "out")}
	sc := string(scenario.DefaultYAML())
	for _, r := range [][2]string{
		{"departures_per_day: 0.003", "departures_per_day: 0.01"},
		{"trip_days: [2, 7]", "trip_days: [1, 1]"},
		{"flight_hours: [2, 10]", "flight_hours: [1, 4]"},
		{"respond_within_hours: 48", "respond_within_hours: 12"},
	} {
		if !strings.Contains(sc, r[0]) {
			return fmt.Errorf("default scenario has no %q", r[0])
		}
		sc = strings.Replace(sc, r[0], r[1], 1)
	}
	scFile := filepath.Join(dir, "scenario.yaml")
	if err := os.WriteFile(scFile, []byte(sc), 0o644); err != nil {
		return err
	}
	if code, _, stderr := run("gen", "--seed", e2eSeed, "--subscribers", e2eSubs, "--days", e2eDays, "--start", e2eStart,
		"--scenario", scFile, "-o", e2e.pcap, "--truth", e2e.truth); code != 0 {
		return fmt.Errorf("gen: %s", stderr)
	}
	// The rules name consent lists relative to themselves: put them beside
	// the truth's consent/ directory.
	b, err := os.ReadFile(filepath.Join("testdata", "e2e-rules.yaml"))
	if err != nil {
		return err
	}
	e2e.rules = filepath.Join(e2e.truth, "e2e-rules.yaml")
	if err := os.WriteFile(e2e.rules, b, 0o644); err != nil {
		return err
	}
	if code, _, stderr := run("replay", "-r", e2e.pcap, "--regions", filepath.Join(e2e.truth, "regions.yaml"), "--rules", e2e.rules,
		"--attributes", filepath.Join(e2e.truth, "attributes.csv"), "--out", e2e.out, "--format", "jsonl", "--nats", "embedded", "--data-dir", e2e.dir); code != 0 {
		return fmt.Errorf("replay: %s", stderr)
	}
	return nil
}

// readCSVFile reads a CSV file with a header into maps.
func readCSVFile(t testing.TB, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReader(f))
	head, err := r.Read()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var out []map[string]string
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		m := make(map[string]string, len(head))
		for i, h := range head {
			m[h] = rec[i]
		}
		out = append(out, m)
	}
}

// readJSONLines reads a JSON lines table.
func readJSONLines(t testing.TB, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, m)
	}
	return out
}

// str renders a JSON value as the truth files write it.
func str(v any) string {
	switch x := v.(type) {
	case float64:
		return fmt.Sprintf("%.0f", x)
	case bool:
		return fmt.Sprint(x)
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

// eventCols are the columns compared: everything events.csv states.
var eventCols = []string{"ts", "imsi", "kind", "lac", "ci", "peer", "setup_ts", "answer_ts", "release_ts", "cause"}

// TestEventsMatchTruth: the events table and the simulator's events.csv
// (every attach, detach, location update, call leg, SMS, USSD, implicit
// detach and roaming change as a perfect probe knows them) agree row for
// row, every column exact, both ways.
func TestEventsMatchTruth(t *testing.T) {
	tw := town(t)
	want := map[string]int{}
	byKind := map[string]int{}
	for _, r := range readCSVFile(t, filepath.Join(tw.truth, "events.csv")) {
		var k []string
		for _, c := range eventCols {
			k = append(k, r[c])
		}
		want[strings.Join(k, ",")]++
		byKind[r["kind"]]++
	}
	got := map[string]int{}
	var nGot int
	for _, r := range readJSONLines(t, filepath.Join(tw.out, "events.jsonl")) {
		var k []string
		for _, c := range eventCols {
			k = append(k, str(r[c]))
		}
		got[strings.Join(k, ",")]++
		nGot++
	}
	var nWant, both int
	missing, extra := map[string]int{}, map[string]int{}
	for k, n := range want {
		nWant += n
		both += min(n, got[k])
		if d := n - got[k]; d > 0 {
			missing[strings.Split(k, ",")[2]] += d
		}
	}
	for k, n := range got {
		if d := n - want[k]; d > 0 {
			extra[strings.Split(k, ",")[2]] += d
		}
	}
	kinds := make([]string, 0, len(byKind))
	for k := range byKind {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	var b strings.Builder
	for _, k := range kinds {
		fmt.Fprintf(&b, " %s=%d", k, byKind[k])
	}
	t.Logf("events.csv %d rows (%s), table %d rows; exact in both: %d (recall %.3f%%, precision %.3f%%)",
		nWant, strings.TrimSpace(b.String()), nGot, both, 100*float64(both)/float64(nWant), 100*float64(both)/float64(nGot))
	for _, k := range []string{"attach", "detach", "location_update", "call_mo", "call_mt", "sms_mo", "sms_mt", "ussd", "implicit_detach", "roam_out", "roam_return"} {
		if byKind[k] == 0 {
			t.Errorf("the truth has no %s event: the town does not exercise it", k)
		}
	}
	if both*1000 < nWant*995 || both*1000 < nGot*995 {
		t.Errorf("events differ from the truth beyond 0.5%%: missing by kind %v, extra by kind %v", missing, extra)
	}
}
