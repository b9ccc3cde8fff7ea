package main

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigprobe/sigprobe/internal/monthtest"
)

func TestWhitelistBadInput(t *testing.T) {
	dir := t.TempDir()
	badKnown := filepath.Join(dir, "known.csv")
	os.WriteFile(badKnown, []byte("name\nx\n"), 0o644)
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no group", []string{"whitelist", "--month", "2026-10", "--data", dir}, 2, "--group"},
		{"bad month", []string{"whitelist", "--group", "acme", "--month", "october", "--data", dir}, 2, "--month"},
		{"no source", []string{"whitelist", "--group", "acme", "--month", "2026-10"}, 2, "--data"},
		{"both sources", []string{"whitelist", "--group", "acme", "--month", "2026-10", "--data", dir, "--dsn", "clickhouse://x"}, 2, "exactly one"},
		{"bad known", []string{"whitelist", "--group", "acme", "--month", "2026-10", "--data", dir, "--known", badKnown}, 1, "want imsi or msisdn"},
		{"no regions", []string{"whitelist", "--group", "acme", "--month", "2026-10", "--data", dir}, 1, "regions.yaml"},
		{"http dsn", []string{"whitelist", "--group", "acme", "--month", "2026-10", "--dsn", "http://127.0.0.1:8123/x"}, 1, "native protocol"},
		{"unreachable dsn", []string{"whitelist", "--group", "acme", "--month", "2026-10", "--dsn", "clickhouse://127.0.0.1:1/x", "--timeout", "3s"}, 1, "127.0.0.1:1"},
	} {
		code, _, stderr := run(tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("%s: exit %d, stderr %q; want exit %d and %q", tc.name, code, stderr, tc.code, tc.want)
		}
		if strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
			t.Errorf("%s: error is more than one line: %q", tc.name, stderr)
		}
	}
}

func TestWhitelistSimulatedMonth(t *testing.T) {
	if testing.Short() {
		t.Skip("needs a simulated month (about two minutes on first use)")
	}
	m, err := monthtest.Get(1, 5000, 31, nil)
	if err != nil {
		t.Fatal(err)
	}
	known, _ := m.Known("globex", 0.15, 1)
	// An account manager's list is often by phone number.
	subs, _ := os.ReadFile(filepath.Join(m.Truth, "subscribers.csv"))
	numbers := map[string]string{}
	for _, l := range strings.Split(string(subs), "\n") {
		f := strings.Split(l, ",")
		if len(f) > 1 {
			numbers[f[0]] = f[1]
		}
	}
	b := []byte("msisdn,name\n")
	for _, k := range known {
		b = append(b, numbers[k]+",someone\n"...)
	}
	kf := filepath.Join(t.TempDir(), "known.csv")
	os.WriteFile(kf, b, 0o644)
	code, stdout, stderr := run("whitelist", "--group", "globex", "--month", "2026-10", "--known", kf, "--data", m.Dir, "--regions", m.Regions())
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	recs, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
	if err != nil || len(recs) < 2 || recs[0][0] != "imsi" {
		t.Fatalf("want CSV with an imsi column first, got %v %q", err, stdout[:min(len(stdout), 200)])
	}
	truth, _ := m.Members("globex")
	tp := 0
	for _, r := range recs[1:] {
		if truth[r[0]] {
			tp++
		}
	}
	pr, rc := float64(tp)/float64(len(recs)-1), float64(tp)/float64(len(truth))
	t.Logf("globex: %d listed, precision %.4f recall %.4f", len(recs)-1, pr, rc)
	if pr < 0.95 || rc < 0.95 {
		t.Errorf("precision %.4f recall %.4f, want >= 0.95", pr, rc)
	}
}
