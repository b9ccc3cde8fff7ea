package main

import (
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
	if code, _, stderr := run("version", "extra"); code != 2 || !strings.Contains(stderr, "unexpected argument") {
		t.Errorf("version extra: exit %d, stderr %q", code, stderr)
	}
}
