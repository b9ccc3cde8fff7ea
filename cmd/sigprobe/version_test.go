package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/sigprobe/sigprobe/internal/buildinfo"
)

func TestVersion(t *testing.T) {
	want := buildinfo.Read().String()
	for _, args := range [][]string{{"version"}, {"--version"}, {"-version"}} {
		code, stdout, stderr := run(args...)
		if code != 0 || stderr != "" {
			t.Fatalf("%v: exit %d, stderr %q", args, code, stderr)
		}
		if stdout != want || !strings.HasPrefix(stdout, "sigprobe ") || !strings.Contains(stdout, "\ngo:       go1.") {
			t.Errorf("%v: got %q, want %q", args, stdout, want)
		}
	}
	code, stdout, _ := run("version", "--json")
	var got buildinfo.Info
	if err := json.Unmarshal([]byte(stdout), &got); code != 0 || err != nil || got != buildinfo.Read() {
		t.Errorf("version --json: exit %d, %q (%v), want %+v", code, stdout, err, buildinfo.Read())
	}
	if code, _, stderr := run("version", "extra"); code != 2 || !strings.Contains(stderr, "unexpected argument") {
		t.Errorf("version extra: exit %d, stderr %q", code, stderr)
	}
}
