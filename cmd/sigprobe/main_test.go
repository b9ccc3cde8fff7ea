package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// run calls Main like the shell would and returns exit code and output.
func run(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := Main(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestGenBadInput(t *testing.T) {
	dir := t.TempDir()
	badScenario := filepath.Join(dir, "bad.yaml")
	os.WriteFile(badScenario, []byte("name: x\nnetwork: {colz: 3}\n"), 0o644)
	roFile := filepath.Join(dir, "file")
	os.WriteFile(roFile, nil, 0o644)
	out := filepath.Join(dir, "x.pcap")
	truth := filepath.Join(dir, "truth")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no command", nil, "usage"},
		{"unknown command", []string{"frobnicate"}, "unknown command"},
		{"unknown flag", []string{"gen", "--subscriber", "5"}, "flag provided but not defined"},
		{"unknown scenario key", []string{"gen", "--scenario", badScenario, "-o", out, "--truth", truth}, "colz"},
		{"missing scenario", []string{"gen", "--scenario", filepath.Join(dir, "nope.yaml"), "-o", out, "--truth", truth}, "no such file"},
		{"zero days", []string{"gen", "--days", "0", "-o", out, "--truth", truth}, "--days"},
		{"too few subscribers", []string{"gen", "--subscribers", "2", "-o", out, "--truth", truth}, "--subscribers"},
		{"bad start", []string{"gen", "--start", "yesterday", "-o", out, "--truth", truth}, "--start"},
		{"no output", []string{"gen", "--truth", truth}, "-o"},
		{"no truth", []string{"gen", "-o", out}, "--truth"},
		{"unwritable pcap", []string{"gen", "--subscribers", "20", "-o", filepath.Join(dir, "missing", "x.pcap"), "--truth", truth}, "no such file"},
		{"truth is a file", []string{"gen", "--subscribers", "20", "-o", out, "--truth", roFile}, "truth directory"},
		{"stray argument", []string{"gen", "extra"}, "unexpected argument"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := run(tc.args...)
			if code == 0 {
				t.Fatalf("exit 0, want failure; stderr %q", stderr)
			}
			if tc.args != nil && strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Fatalf("want a one-line error, got %q", stderr)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Fatalf("stderr %q does not mention %q", stderr, tc.want)
			}
		})
	}
}

func TestGenSmall(t *testing.T) {
	dir := t.TempDir()
	code, stdout, stderr := run("gen", "--seed", "3", "--subscribers", "50", "--days", "1",
		"-o", filepath.Join(dir, "a.pcap"), "--truth", filepath.Join(dir, "truth"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "50 subscribers") || !strings.Contains(stdout, "messages") {
		t.Fatalf("summary: %q", stdout)
	}
	for _, f := range []string{"subscribers.csv", "attributes.csv", "location.csv", "dwell.csv", "regions.yaml", "messages.csv", "README"} {
		if st, err := os.Stat(filepath.Join(dir, "truth", f)); err != nil || st.Size() == 0 {
			t.Errorf("truth file %s missing or empty", f)
		}
	}
}
