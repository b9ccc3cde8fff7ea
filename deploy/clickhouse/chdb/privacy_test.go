package chdb

import (
	"bytes"
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sigprobe/sigprobe/analysis/whitelist"
	"github.com/sigprobe/sigprobe/format/regions"
	"github.com/sigprobe/sigprobe/internal/monthtest"
	"github.com/sigprobe/sigprobe/sink"
	"github.com/sigprobe/sigprobe/sink/pseudonym"
)

// The group whitelist works on pseudonymized tables: given the known
// members pseudonymized with `sigprobe pseudonym --csv`, the SQL on chDB and
// `sigprobe whitelist --data` both list exactly the pseudonyms of the
// members the clear run lists, with the same evidence.
func TestWhitelistPseudonymized(t *testing.T) {
	if probeTables == nil {
		t.Skip("SIGPROBE_MONTH_FROM=truth: the truth's tables are not pseudonymized by the probe")
	}
	nodePath(t)
	bin := buildSigprobe(t)
	m, db := monthDB(t, 1)
	pm, key, keyFile := pseudoMonth(t, m)
	pdb := load(t, pm, filepath.Join(tmpRoot, "db-1-pseudonymized"))
	rf, err := regions.Load(m.Regions())
	if err != nil {
		t.Fatal(err)
	}
	imsi := func(s string) string { return key.Of(pseudonym.IMSI, sinkDigits(t, s)).String() }
	msisdn := func(s string) string {
		if s == "" {
			return ""
		}
		return key.Of(pseudonym.MSISDN, sinkDigits(t, s)).String()
	}
	for _, g := range rf.Groups {
		known, err := m.Known(g.Name, knownShare, 1)
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		kf := filepath.Join(dir, "known.csv")
		if err := monthtest.WriteKnown(kf, known); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(bin, "pseudonym", "--key", keyFile, "--csv", kf).Output()
		if err != nil {
			t.Fatalf("sigprobe pseudonym --csv: %v", err)
		}
		pkf := filepath.Join(dir, "known-pseudonymized.csv")
		writeBytes(t, pkf, out)
		pknown := readColumn(t, out, "imsi")
		if len(pknown) != len(known) || pknown[0] != imsi(known[0]) {
			t.Fatalf("pseudonymized known list: %v for %v", pknown, known)
		}

		_, clearRes, err := sqlWhitelist(t, db, params(g.Name, known))
		if err != nil {
			t.Fatal(err)
		}
		_, psRes, err := sqlWhitelist(t, pdb, params(g.Name, pknown))
		if err != nil {
			t.Fatal(err)
		}
		// Every pseudonymized member is the pseudonym of a clear member,
		// with the same evidence.
		want := map[string]whitelist.Member{}
		for _, mb := range clearRes.Members {
			mb.IMSI, mb.MSISDN = imsi(mb.IMSI), msisdn(mb.MSISDN)
			want[mb.IMSI] = mb
		}
		if len(psRes.Members) != len(clearRes.Members) || len(clearRes.Members) == 0 {
			t.Errorf("group %s: %d members pseudonymized, %d clear", g.Name, len(psRes.Members), len(clearRes.Members))
		}
		for _, mb := range psRes.Members {
			if w, ok := want[mb.IMSI]; !ok {
				t.Errorf("group %s: %s is not the pseudonym of a clear member", g.Name, mb.IMSI)
			} else if mb != w {
				t.Errorf("group %s: %+v, want %+v", g.Name, mb, w)
			}
		}
		// The Go twin on the pseudonymized Parquet files lists the same.
		cli, err := exec.Command(bin, "whitelist", "--group", g.Name, "--month", "2026-10", "--known", pkf,
			"--data", pm.Dir, "--regions", m.Regions()).Output()
		if err != nil {
			t.Fatalf("sigprobe whitelist: %v", err)
		}
		goList := readColumn(t, cli, "imsi")
		sqlList := imsis(psRes.Members)
		slices.Sort(sqlList)
		if !slices.Equal(goList, sqlList) {
			t.Errorf("group %s: sigprobe whitelist --data lists %d, the SQL %d; differ: %v", g.Name, len(goList), len(sqlList), symDiff(goList, sqlList))
		}
		t.Logf("group %-8s %3d members, the same pseudonymized (known %d)", g.Name, len(psRes.Members), len(pknown))
	}
}

func sinkDigits(t testing.TB, s string) (d sink.Digits) {
	t.Helper()
	if err := d.UnmarshalText([]byte(s)); err != nil || d == 0 {
		t.Fatalf("%q is not an identity", s)
	}
	return d
}

// readColumn returns a CSV's column by header name.
func readColumn(t testing.TB, b []byte, col string) []string {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil || len(recs) == 0 {
		t.Fatalf("CSV: %v", err)
	}
	i := slices.Index(recs[0], col)
	if i < 0 {
		t.Fatalf("no column %s in %s", col, strings.Join(recs[0], ","))
	}
	var out []string
	for _, r := range recs[1:] {
		out = append(out, r[i])
	}
	return out
}

func writeBytes(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o640); err != nil {
		t.Fatal(err)
	}
}

// buildSigprobe builds the sigprobe binary for the command-line steps.
func buildSigprobe(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "sigprobe")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/sigprobe")
	cmd.Dir = repoRoot()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}
