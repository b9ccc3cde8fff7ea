package main

import (
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
		{"no file", []string{"replay", "--out", out}, "no capture file: give -r FILE"},
		{"no out", []string{"replay", "-r", notPcap}, "no output: give --out DIR"},
		{"missing file", []string{"replay", "-r", filepath.Join(dir, "nope.pcap"), "--out", out}, "no such file"},
		{"not a pcap", []string{"replay", "-r", notPcap, "--out", out}, "not a pcap"},
		{"bad format", []string{"replay", "-r", notPcap, "--out", out, "--format", "csv"}, `output.format: "csv"`},
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
	code, _, stderr := run("replay", "-r", pcap, "--regions", filepath.Join(truth, "regions.yaml"), "--out", out, "--format", "jsonl")
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

// TestReplayMetrics scrapes /metrics while a replay runs: packets, messages,
// rows and triggers move.
func TestReplayMetrics(t *testing.T) {
	dir := t.TempDir()
	pcap, truth := filepath.Join(dir, "a.pcap"), filepath.Join(dir, "truth")
	if code, _, stderr := run("gen", "--seed", "4", "--subscribers", "3000", "-o", pcap, "--truth", truth); code != 0 {
		t.Fatal(stderr)
	}
	rules := filepath.Join(truth, "rules.yaml")
	b, err := os.ReadFile("../../deploy/rules.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(rules, b, 0o644)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	done := make(chan int)
	go func() {
		code, _, _ := run("replay", "-r", pcap, "--regions", filepath.Join(truth, "regions.yaml"), "--rules", rules,
			"--out", filepath.Join(dir, "out"), "--metrics", addr)
		done <- code
	}()
	want := []string{"sigprobe_decode_packets_total", "sigprobe_decode_messages_total", "sigprobe_pipeline_rows_total", "sigprobe_rules_fired_total"}
	seen := map[string]bool{}
	for len(seen) < len(want) {
		select {
		case code := <-done:
			t.Fatalf("replay ended (exit %d) before the metrics showed %v moving; saw %v", code, want, seen)
		case <-time.After(20 * time.Millisecond):
		}
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, line := range strings.Split(string(body), "\n") {
			for _, w := range want {
				if strings.HasPrefix(line, w+" ") && !strings.HasSuffix(line, " 0") {
					seen[w] = true
				}
			}
		}
	}
	if code := <-done; code != 0 {
		t.Fatalf("replay exit %d", code)
	}
}
