package monthtest

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

func TestSmallMonth(t *testing.T) {
	m, err := Get(1, 1000, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tbl := range []string{"dwell", "events", "subscribers"} {
		if _, err := os.Stat(filepath.Join(m.Dir, tbl, "part-0.parquet")); err != nil {
			t.Fatal(err)
		}
	}
	evs, err := parquet.ReadFile[Event](filepath.Join(m.Dir, "events", "part-0.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	peers := map[string]int{}
	for _, e := range evs {
		kinds[e.Kind]++
		if e.Peer != "" {
			peers[e.Kind]++
		}
		if e.MSISDN == "" || e.LAC == 0 {
			t.Fatalf("event without number or cell: %+v", e)
		}
	}
	t.Logf("events by kind %v, with an on-net peer %v", kinds, peers)
	// About 2/3 of MO calls are on-net (30% off-net, 4% international, 3% hotlines).
	if r := float64(peers["call_mo"]) / float64(kinds["call_mo"]); r < 0.5 || r > 0.75 {
		t.Errorf("on-net share of MO calls %.2f, want about 0.63", r)
	}
	if peers["call_mt"] == 0 || kinds["sms_mo"] == 0 || kinds["sms_mt"] == 0 {
		t.Errorf("missing kinds: %v %v", kinds, peers)
	}
	mem, err := m.Members("acme")
	if err != nil || len(mem) == 0 {
		t.Fatalf("members: %v %v", len(mem), err)
	}
}

// TestWarm generates the months named by SIGPROBE_WARM_SEEDS (e.g. "1,2,3")
// at 5,000 subscribers x 31 days, so later test runs find them cached.
func TestWarm(t *testing.T) {
	v := os.Getenv("SIGPROBE_WARM_SEEDS")
	if v == "" {
		t.Skip("SIGPROBE_WARM_SEEDS not set")
	}
	for _, s := range strings.Split(v, ",") {
		seed, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		m, err := Get(seed, 5000, 31, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("seed %d: %s", seed, m.Dir)
	}
}
