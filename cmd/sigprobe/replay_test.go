package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReplayBadInput(t *testing.T) {
	dir := t.TempDir()
	notPcap := filepath.Join(dir, "x.txt")
	os.WriteFile(notPcap, []byte("hello world, not a capture"), 0o644)
	badRegions := filepath.Join(dir, "regions.yaml")
	os.WriteFile(badRegions, []byte("regions:\n  - name: a\n    kind: mall\n    cells: []\n"), 0o644)
	out := filepath.Join(dir, "out")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no file", []string{"replay", "--out", out}, "missing -r"},
		{"no out", []string{"replay", "-r", notPcap}, "missing --out"},
		{"missing file", []string{"replay", "-r", filepath.Join(dir, "nope.pcap"), "--out", out}, "no such file"},
		{"not a pcap", []string{"replay", "-r", notPcap, "--out", out}, "not a pcap"},
		{"bad format", []string{"replay", "-r", notPcap, "--out", out, "--format", "csv"}, "--format"},
		{"bad regions", []string{"replay", "-r", notPcap, "--out", out, "--regions", badRegions}, "regions.yaml: line 2: regions[0].cells"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := run(tc.args...)
			if code == 0 {
				t.Fatalf("exit 0; stderr %q", stderr)
			}
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			if !strings.Contains(lines[len(lines)-1], tc.want) {
				t.Fatalf("stderr %q does not end with an error mentioning %q", stderr, tc.want)
			}
		})
	}
}

func TestReplaySmall(t *testing.T) {
	dir := t.TempDir()
	pcap, truth, out := filepath.Join(dir, "a.pcap"), filepath.Join(dir, "truth"), filepath.Join(dir, "out")
	if code, _, stderr := run("gen", "--seed", "4", "--subscribers", "100", "-o", pcap, "--truth", truth); code != 0 {
		t.Fatal(stderr)
	}
	code, _, stderr := run("replay", "-r", pcap, "--regions", filepath.Join(truth, "regions.yaml"), "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "replay: packets=") || !strings.Contains(stderr, "msgs_per_s=") {
		t.Fatalf("summary line: %q", stderr)
	}
	for _, table := range []string{"trajectories", "dwell", "region_minute", "events", "triggers", "subscribers"} {
		if _, err := os.Stat(filepath.Join(out, table+".jsonl")); err != nil {
			t.Errorf("table %s: %v", table, err)
		}
	}
}
