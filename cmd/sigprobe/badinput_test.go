package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Bad input found on real taps and by hand: each gives one line naming the
// flag, file, line or field, and the documented exit code (2: a bad
// command line or configuration value; 1: a bad input file).
func TestBadInputExitCodes(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	scenario, err := os.ReadFile("../../deploy/scenario.yaml")
	if err != nil {
		t.Fatal(err)
	}
	funday := write("funday.yaml", strings.Replace(string(scenario), "workdays: mon-fri", "workdays: funday", 1))
	hour25 := write("hour25.yaml", strings.Replace(string(scenario), `start: "09:00"`, `start: "25:00"`, 1))
	regions := "regions:\n  - name: mall\n    kind: mall\n    cells: [{lac: 1, ci: 2}]\ngroups:\n  - name: acme\n    region: mall\n    workdays: %s\n    start: \"%s\"\n    end: \"17:00\"\n"
	regFunday := write("reg-funday.yaml", strings.Replace(strings.Replace(regions, "%s", "funday", 1), "%s", "09:00", 1))
	reg25 := write("reg-25.yaml", strings.Replace(strings.Replace(regions, "%s", "mon-fri", 1), "%s", "25:00", 1))
	rules := write("rules.yaml", "rules:\n  - name: r\n    kind: location_update\n    home_plmns: [abcde]\n")
	pcap := write("x.pcap", "")
	out := filepath.Join(dir, "out")
	gen := func(args ...string) []string {
		return append([]string{"gen", "--subscribers", "10", "-o", filepath.Join(dir, "g.pcap"), "--truth", filepath.Join(dir, "truth")}, args...)
	}
	replay := func(args ...string) []string { return append([]string{"replay", "-r", pcap, "--out", out}, args...) }
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"start 1900", gen("--start", "1900-01-01"), 2, "--start: 1900-01-01 and 1 day(s) after it must lie between 1970-01-01 and 2106-02-07"},
		{"start 2106-03", gen("--start", "2106-03-01"), 2, "--start: 2106-03-01"},
		{"start reaching past 2106", gen("--start", "2106-02-01", "--days", "7"), 2, "--start"},
		{"scenario workdays funday", gen("--scenario", funday), 1, `groups[0].workdays: want days like "mon-fri" or "mon,wed", got "funday"`},
		{"scenario start 25:00", gen("--scenario", hour25), 1, `groups[0].start: want HH:MM, got "25:00"`},
		{"t3212 0s", replay("--t3212", "0s"), 2, "t3212: 0s: TS 24.008 allows 6 minutes to 25.5 hours"},
		{"t3212 -1h", replay("--t3212", "-1h"), 2, "t3212: -1h0m0s"},
		{"t3212 1ns", replay("--t3212", "1ns"), 2, "t3212: 1ns"},
		{"t3212 5m", replay("--t3212", "5m"), 2, "t3212: 5m0s"},
		{"home plmn", replay("--home-plmn", "abcde"), 2, `home_plmns: "abcde": want MCC+MNC`},
		{"reorder window", replay("--reorder-window", "-5ms"), 2, "capture.reorder_window: must not be negative"},
		{"clock skew", replay("--clock-skew", "100ms"), 2, "capture.clock_skew: 100ms: must exceed twice capture.reorder_window"},
		{"regions workdays funday", replay("--regions", regFunday), 1, `reg-funday.yaml: line 6: groups[0].workdays: want days like "mon-fri" or "mon,wed", got "funday"`},
		{"regions start 25:00", replay("--regions", reg25), 1, `reg-25.yaml: line 6: groups[0].start: want HH:MM from 00:00 to 23:59, got "25:00"`},
		{"rules home_plmns", replay("--regions", write("reg.yaml", "regions:\n  - name: mall\n    kind: mall\n    cells: [{lac: 1, ci: 2}]\n"), "--rules", rules), 1, "rules.yaml: line 4"},
		{"whitelist k -1", []string{"whitelist", "--group", "acme", "--month", "2026-10", "--data", dir, "--k", "-1"}, 2, "--k: want a number of at least 0, got -1"},
		{"whitelist band-z NaN", []string{"whitelist", "--group", "acme", "--month", "2026-10", "--data", dir, "--band-z", "NaN"}, 2, "--band-z: want a number of at least 0, got NaN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := run(tc.args...)
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			if code != tc.code || !strings.Contains(lines[len(lines)-1], tc.want) {
				t.Fatalf("exit %d, stderr %q; want exit %d and a last line with %q", code, stderr, tc.code, tc.want)
			}
			if len(lines) > 1 && tc.code == 2 {
				t.Fatalf("a usage error of more than one line: %q", stderr)
			}
		})
	}
}
