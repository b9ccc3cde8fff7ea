package main

import (
	"flag"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/sigprobe/sigprobe/probe"
)

// The README's flag → configuration key list says what the flags do: each
// flag it names exists on run or replay and its usage names that key.
func TestREADMEFlagsMatchHelp(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	pairs := regexp.MustCompile("`(-{1,2}[a-z-]+)`\\s+→\\s+`([a-z_.]+)`").FindAllStringSubmatch(string(b), -1)
	if len(pairs) < 8 {
		t.Fatalf("README lists %d flag → key pairs", len(pairs))
	}
	sets := []*flag.FlagSet{newProbeFlags("run", probe.ModeRun).fs, newProbeFlags("replay", probe.ModeReplay).fs}
	for _, p := range pairs {
		name, key := strings.TrimLeft(p[1], "-"), p[2]
		found := false
		for _, fs := range sets {
			if f := fs.Lookup(name); f != nil {
				found = true
				if !strings.Contains(f.Usage, key) {
					t.Errorf("README: %s → %s, but its usage says %q", p[1], key, f.Usage)
				}
			}
		}
		if !found {
			t.Errorf("README names flag %s, which neither run nor replay has", p[1])
		}
	}
}

// Every flag of run, replay and decode says which configuration key it
// overrides (but --config and --reset-state, which are not keys).
func TestEveryFlagNamesItsKey(t *testing.T) {
	for _, m := range []probe.Mode{probe.ModeRun, probe.ModeReplay, probe.ModeDecode} {
		newProbeFlags(m.String(), m).fs.VisitAll(func(f *flag.Flag) {
			if f.Name == "config" || f.Name == "reset-state" {
				return
			}
			if !strings.Contains(f.Usage, "config: ") {
				t.Errorf("%s -%s: usage %q names no configuration key", m, f.Name, f.Usage)
			}
		})
	}
}

// Every command `sigprobe help` lists is in the README.
func TestREADMENamesEveryCommand(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for name := range commands {
		if !strings.Contains(string(b), "`sigprobe "+name) {
			t.Errorf("README does not mention `sigprobe %s`", name)
		}
	}
}
