package chdb

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sigprobe/sigprobe/analysis/whitelist"
	"github.com/sigprobe/sigprobe/format/regions"
	"github.com/sigprobe/sigprobe/internal/monthtest"
)

// sweepPoints are the towns of the whitelist sweep: the default and the
// scenarios under bench/sweep/ (see each file's header).
var sweepPoints = []struct{ name, file string }{
	{"colleague share 0.7 (default)", ""},
	{"colleague share 0.3", "colleague-0.3.yaml"},
	{"colleague share 0.1", "colleague-0.1.yaml"},
	{"two enterprises in one office park", "colocated.yaml"},
	{"large enterprise (6 %, many neighbours and visitors)", "large.yaml"},
	{"shift work and a 6-day week", "shifts.yaml"},
	{"UTC+8 with Golden Week holidays", "utc8.yaml"},
	{"A-interface-only capture", "a-only.yaml"},
	{"two enterprises in one park, no calls among staff", "colocated-nocalls.yaml"},
}

// TestWhitelistSweep measures the whitelist on every sweep point, through
// the probe's own tables (the capture replayed), by the Go path (Parquet)
// and the SQL path (chDB) — which must list the same members — with 15 %
// of the members known and with none, and stage by stage. It takes about
// five minutes per point on first use (`make sweep`); the table goes to
// $SIGPROBE_SWEEP_OUT (markdown) and the log.
func TestWhitelistSweep(t *testing.T) {
	if os.Getenv("SIGPROBE_SWEEP") == "" {
		t.Skip("the sweep simulates nine months (about an hour): run `make sweep` (SIGPROBE_SWEEP=1)")
	}
	nodePath(t)
	var out strings.Builder
	out.WriteString("| town | group | members | known | stage | k | listed | precision | recall | note |\n|---|---|---|---|---|---|---|---|---|---|\n")
	only := os.Getenv("SIGPROBE_SWEEP_ONLY")
	for _, pt := range sweepPoints {
		if only != "" && !strings.Contains(pt.file, only) {
			continue
		}
		path := ""
		if pt.file != "" {
			path = filepath.Join(repoRoot(), "bench", "sweep", pt.file)
		}
		dbMu.Lock()
		m, err := monthtest.GetScenario(path, 1, subscribers, days, probeTables)
		if err != nil {
			dbMu.Unlock()
			t.Fatalf("%s: %v", pt.name, err)
		}
		db := monthDBOf(t, m)
		dbMu.Unlock()
		rf, err := regions.Load(m.Regions())
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range rf.Groups {
			truth, err := m.Members(g.Name)
			if err != nil {
				t.Fatal(err)
			}
			k15, err := m.Known(g.Name, knownShare, 1)
			if err != nil {
				t.Fatal(err)
			}
			for _, known := range [][]string{k15, nil} {
				row := func(stage string, res *whitelist.Result, err error) {
					note, k, listed, pr, rc := "", "", "", "", ""
					if err != nil {
						note = strings.ReplaceAll(err.Error(), "|", "/")
					} else {
						p, r, _, _ := score(res.Members, truth)
						k, listed, pr, rc = fmt.Sprintf("%.3f (%s)", res.K, res.Method), fmt.Sprint(len(res.Members)), fmt.Sprintf("%.3f", p), fmt.Sprintf("%.3f", r)
					}
					line := fmt.Sprintf("| %s | %s | %d | %d | %s | %s | %s | %s | %s | %s |", pt.name, g.Name, len(truth), len(known), stage, k, listed, pr, rc, note)
					t.Log(line)
					out.WriteString(line + "\n")
				}
				p := params(g.Name, known)
				goRes, goErr := whitelist.Run(m.Dir, rf, p)
				_, sqlRes, sqlErr := sqlWhitelist(t, db, p)
				switch {
				case (goErr == nil) != (sqlErr == nil):
					t.Errorf("%s %s: Go error %v, SQL error %v", pt.name, g.Name, goErr, sqlErr)
				case goErr == nil && !slices.Equal(imsis(goRes.Members), imsis(sqlRes.Members)):
					t.Errorf("%s %s (%d known): Go lists %d, SQL %d; differ: %v", pt.name, g.Name, len(known),
						len(goRes.Members), len(sqlRes.Members), symDiff(imsis(goRes.Members), imsis(sqlRes.Members)))
				}
				if known == nil {
					row("all (no known members)", goRes, goErr)
					continue
				}
				// Stage by stage, on the same features.
				in, err := whitelist.Features(m.Dir, rf, p)
				if err != nil {
					t.Fatal(err)
				}
				bare := p
				bare.HomeNights, bare.MaxOffdays, bare.CallGraph = 1<<20, 1<<20, false
				inBare, err := whitelist.Features(m.Dir, rf, bare)
				if err != nil {
					t.Fatal(err)
				}
				res, err := whitelist.Select(inBare, bare, 1)
				row("presence", res, err)
				loc := p
				loc.CallGraph = false
				res, err = whitelist.Select(in, loc, 1)
				row("+ location", res, err)
				row("+ call graph", goRes, goErr)
				if goErr != nil && !errors.Is(goErr, whitelist.ErrNoSignal) && !errors.Is(goErr, whitelist.ErrNoSeparation) {
					t.Errorf("%s %s: %v", pt.name, g.Name, goErr)
				}
			}
		}
	}
	if f := os.Getenv("SIGPROBE_SWEEP_OUT"); f != "" {
		if err := os.WriteFile(f, []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
