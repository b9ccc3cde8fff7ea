package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The command lines in the whitelist method's doc use flags that exist:
// each is parsed with -h appended, which stops before anything runs.
func TestWhitelistDocCommands(t *testing.T) {
	doc := filepath.Join("..", "..", "deploy", "clickhouse", "queries", "whitelist.md")
	b, err := os.ReadFile(doc)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, l := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(l, "sigprobe ") {
			continue
		}
		l, _, _ = strings.Cut(l, ">")
		args := append(strings.Fields(l)[1:], "-h")
		if code, _, stderr := run(args...); code != 0 {
			t.Errorf("%s: %q exits %d: %s", doc, l, code, stderr)
		}
		n++
	}
	if n < 3 {
		t.Errorf("%s: %d command lines, want the three examples", doc, n)
	}
}
