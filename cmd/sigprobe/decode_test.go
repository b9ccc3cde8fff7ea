package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const fixture = "../../decode/testdata/a-interface.pcap"

func runMain(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := Main(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestDecodeCommand(t *testing.T) {
	code, out, stderr := runMain("decode", "-r", fixture)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 50 {
		t.Fatalf("only %d lines", len(lines))
	}
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("bad JSON line %q: %v", l, err)
		}
		for _, k := range []string{"frame", "ts_ns", "proto"} {
			if _, ok := m[k]; !ok {
				t.Fatalf("line without %q: %s", k, l)
			}
		}
	}
	if strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "packets=55") || !strings.Contains(stderr, "msgs_per_s=") {
		t.Fatalf("summary: %q", stderr)
	}
}

func TestDecodeCommandBadInput(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.txt")
	os.WriteFile(text, []byte("this is not a capture\n"), 0o644)
	short := filepath.Join(dir, "short.pcap")
	os.WriteFile(short, []byte{0xd4, 0xc3, 0xb2, 0xa1, 2, 0}, 0o644)
	empty := filepath.Join(dir, "empty.pcap")
	os.WriteFile(empty, nil, 0o644)
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"missing file", []string{"decode", "-r", filepath.Join(dir, "nope.pcap")}, 1, "no such file"},
		{"not a pcap", []string{"decode", "-r", text}, 1, "not a pcap or pcapng file"},
		{"truncated header", []string{"decode", "-r", short}, 1, "bad pcap header"},
		{"empty file", []string{"decode", "-r", empty}, 1, "not a pcap or pcapng file"},
		{"no -r", []string{"decode"}, 2, "missing -r FILE"},
		{"stray argument", []string{"decode", "-r", fixture, "extra"}, 2, "unexpected argument"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runMain(tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d (%s)", code, tc.code, stderr)
			}
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			last := lines[len(lines)-1]
			if !strings.HasPrefix(last, "sigprobe decode: ") || !strings.Contains(last, tc.want) {
				t.Fatalf("stderr %q, want a one-line error with %q", stderr, tc.want)
			}
		})
	}
}

// TestDecodeCommandTruncatedLastPacket: a capture cut inside its last packet
// decodes what is there, counts the truncation and exits 0.
func TestDecodeCommandTruncatedLastPacket(t *testing.T) {
	b, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(t.TempDir(), "cut.pcap")
	os.WriteFile(cut, b[:len(b)-10], 0o644)
	code, out, stderr := runMain("decode", "-r", cut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "truncated=1") || !strings.Contains(stderr, "packets=54") {
		t.Fatalf("summary %q", stderr)
	}
	if out == "" {
		t.Fatal("no messages from the intact packets")
	}
}
