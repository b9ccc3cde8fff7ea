package chdb

import (
	"bytes"
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sigprobe/sigprobe/format/regions"
	"github.com/sigprobe/sigprobe/internal/monthtest"
)

// Default size of the simulated month (the floor).
const (
	subscribers = 5000
	days        = 31
)

// knownShare is the share of true members an account manager knows: 0.15,
// or $SIGPROBE_KNOWN_SHARE.
var knownShare = func() float64 {
	if v, err := strconv.ParseFloat(os.Getenv("SIGPROBE_KNOWN_SHARE"), 64); err == nil && v > 0 && v <= 1 {
		return v
	}
	return 0.15
}()

// seeds are the simulator seeds to check: 1 by default, more with
// SIGPROBE_SEEDS=1,2,3 (the robustness run).
func seeds(t testing.TB) []uint64 {
	v := os.Getenv("SIGPROBE_SEEDS")
	if v == "" {
		return []uint64{1}
	}
	var out []uint64
	for _, s := range strings.Split(v, ",") {
		n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
		if err != nil {
			t.Fatalf("SIGPROBE_SEEDS: %v", err)
		}
		out = append(out, n)
	}
	return out
}

// whitelistParams are the defaults documented in group_whitelist.sql.
func whitelistParams(group string, known []string) map[string]string {
	return map[string]string{
		"group": group, "month": "2026-10-01", "known": sqlArray(known),
		"k": "0", "k_margin": "0.2", "known_pass": "0.9", "min_slots": "3",
		"home_nights": "5", "max_offdays": "3", "call_graph": "1", "min_peer_lift": "4",
	}
}

// score compares a whitelist with the truth.
func score(got []string, truth map[string]bool) (precision, recall float64, fp, fn int) {
	tp := 0
	for _, s := range got {
		if truth[s] {
			tp++
		} else {
			fp++
		}
	}
	fn = len(truth) - tp
	if len(got) > 0 {
		precision = float64(tp) / float64(len(got))
	}
	if len(truth) > 0 {
		recall = float64(tp) / float64(len(truth))
	}
	return precision, recall, fp, fn
}

func TestGroupWhitelist(t *testing.T) {
	nodePath(t)
	bin := buildSigprobe(t)
	for _, seed := range seeds(t) {
		m, db := monthDB(t, seed)
		rf, err := regions.Load(m.Regions())
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range rf.Groups {
			truth, err := m.Members(g.Name)
			if err != nil {
				t.Fatal(err)
			}
			known, err := m.Known(g.Name, knownShare, seed)
			if err != nil {
				t.Fatal(err)
			}
			variants := []struct {
				name string
				set  map[string]string
				must bool
			}{
				{"seed+location+calls", nil, true},
			}
			if os.Getenv("SIGPROBE_STAGES") != "" {
				// Measure what each stage of the method adds.
				variants = append(variants, []struct {
					name string
					set  map[string]string
					must bool
				}{
					{"seed only", map[string]string{"home_nights": "1000", "max_offdays": "1000", "call_graph": "0"}, false},
					{"seed+location", map[string]string{"call_graph": "0"}, false},
					{"seed+calls", map[string]string{"home_nights": "1000", "max_offdays": "1000"}, false},
				}...)
			}
			for _, v := range variants {
				p := whitelistParams(g.Name, known)
				for k, x := range v.set {
					p[k] = x
				}
				rows := db.query(t, "group_whitelist", p)
				ic := rows.Col(t, "imsi")
				got := make([]string, len(rows.Recs))
				for i, r := range rows.Recs {
					got[i] = r[ic]
				}
				k := ""
				if len(rows.Recs) > 0 {
					k = rows.Recs[0][rows.Col(t, "k")]
				}
				pr, rc, fp, fn := score(got, truth)
				t.Logf("seed %d %-8s %-20s members %3d known %2d k %-6s listed %3d precision %.4f recall %.4f (fp %d, fn %d)",
					seed, g.Name, v.name, len(truth), len(known), k, len(got), pr, rc, fp, fn)
				if !v.must {
					continue
				}
				db.setMembers(t, g.Name, got)
				if pr < 0.95 || rc < 0.95 {
					t.Errorf("seed %d group %s: precision %.4f recall %.4f, want >= 0.95 each", seed, g.Name, pr, rc)
				}
				// sigprobe whitelist --data DIR (no ClickHouse) lists the same members.
				kf := filepath.Join(t.TempDir(), "known.csv")
				if err := monthtest.WriteKnown(kf, known); err != nil {
					t.Fatal(err)
				}
				out, err := exec.Command(bin, "whitelist", "--group", g.Name, "--month", "2026-10", "--known", kf,
					"--data", m.Dir, "--regions", m.Regions()).Output()
				if err != nil {
					t.Fatalf("sigprobe whitelist: %v", err)
				}
				recs, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
				if err != nil || len(recs) == 0 || recs[0][0] != "imsi" {
					t.Fatalf("sigprobe whitelist: want CSV with imsi first: %v", err)
				}
				var cli []string
				for _, r := range recs[1:] {
					cli = append(cli, r[0])
				}
				if !slices.Equal(cli, got) {
					t.Errorf("seed %d group %s: sigprobe whitelist --data lists %d members, the SQL on chDB %d; differ: %v",
						seed, g.Name, len(cli), len(got), symDiff(cli, got))
				}
				// The evidence columns agree too.
				for i := 1; i < len(recs) && i <= len(rows.Recs); i++ {
					for _, c := range []string{"presence_days", "nights", "offdays"} {
						if a, b := recs[i][slices.Index(recs[0], c)], rows.Recs[i-1][rows.Col(t, c)]; a != b {
							t.Errorf("seed %d group %s imsi %s: %s %s (Go) vs %s (SQL)", seed, g.Name, recs[i][0], c, a, b)
						}
					}
				}
			}
		}
	}
}

// buildSigprobe builds the sigprobe command for the test.
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

func symDiff(a, b []string) []string {
	in := map[string]int{}
	for _, x := range a {
		in[x] |= 1
	}
	for _, x := range b {
		in[x] |= 2
	}
	var out []string
	for x, v := range in {
		if v != 3 {
			out = append(out, x)
		}
	}
	slices.Sort(out)
	return out
}

// members returns the group's SQL whitelist (known: 15% of the truth),
// computing and storing it in group_members if no test did yet.
func members(t testing.TB, m *monthtest.Month, db *DB, group string) []string {
	t.Helper()
	if ms, ok := db.members[group]; ok {
		return ms
	}
	known, err := m.Known(group, knownShare, m.Seed)
	if err != nil {
		t.Fatal(err)
	}
	rows := db.query(t, "group_whitelist", whitelistParams(group, known))
	var got []string
	for _, r := range rows.Recs {
		got = append(got, r[0])
	}
	db.setMembers(t, group, got)
	return got
}
