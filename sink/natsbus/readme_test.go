package natsbus

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
)

// The Go consumer of README.md compiles against this module's nats.go (it
// is laid over a package directory that does not exist; nothing is written
// into the tree).
func TestREADMEConsumerBuilds(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build the README's example with")
	}
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```go\n(package main\n.*?)```").FindSubmatch(b)
	if m == nil {
		t.Fatal("README.md: no Go consumer example (```go package main)")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "main.go")
	if err := os.WriteFile(src, m[1], 0o600); err != nil {
		t.Fatal(err)
	}
	here, _ := os.Getwd()
	overlay, _ := json.Marshal(map[string]map[string]string{"Replace": {filepath.Join(here, "readmeexample", "main.go"): src}})
	ov := filepath.Join(dir, "overlay.json")
	os.WriteFile(ov, overlay, 0o600)
	if out, err := exec.Command(gobin, "build", "-overlay", ov, "-o", os.DevNull, "./readmeexample").CombinedOutput(); err != nil {
		t.Fatalf("the README's consumer does not build: %v\n%s", err, out)
	}
}
