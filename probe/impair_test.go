package probe

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sigprobe/sigprobe/internal/impairtest"
	"github.com/sigprobe/sigprobe/sim"
	"github.com/sigprobe/sigprobe/sim/scenario"
	"github.com/sigprobe/sigprobe/sink"
)

// dwellRows collects the dwell rows of a run.
type dwellRows struct{ rows []impairtest.Interval }

func (d *dwellRows) Write(b *sink.Batch) error {
	for i := range b.Dwell {
		r := &b.Dwell[i]
		d.rows = append(d.rows, impairtest.Interval{IMSI: r.IMSI.String(), LAC: r.LAC, CI: r.CI, Start: r.StartTS, End: r.EndTS})
	}
	return nil
}

func (d *dwellRows) Close() error { return nil }

// impairedDay is a simulated day and its truth.
type impairedDay struct {
	pcap, truth string
	want        []impairtest.Interval
}

func simulatedDay(t testing.TB, seed uint64, subs int) *impairedDay {
	t.Helper()
	dir := t.TempDir()
	sc, err := scenario.Load("")
	if err != nil {
		t.Fatal(err)
	}
	d := &impairedDay{pcap: filepath.Join(dir, "day.pcap"), truth: filepath.Join(dir, "truth")}
	if _, err := sim.Run(sim.Config{Seed: seed, Subscribers: subs, Days: 1, Start: time.Date(2026, 10, 6, 0, 0, 0, 0, time.UTC),
		Scenario: sc, PCAP: d.pcap, TruthDir: d.truth}); err != nil {
		t.Fatal(err)
	}
	if d.want, err = impairtest.ReadDwell(d.truth); err != nil {
		t.Fatal(err)
	}
	return d
}

// impaired is one impairment measured: the probe's dwell share of the
// truth, and the perfect-probe bound (impairtest.Bound) for the same
// impaired capture.
type impaired struct {
	share, bound float64
	st           Stats
}

func (d *impairedDay) measure(t testing.TB, spec impairtest.Spec) impaired {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "impaired.pcap")
	res, err := impairtest.Apply(d.pcap, dst, spec)
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(dst)
	cfg := DefaultConfig()
	cfg.Capture.File = dst
	var got dwellRows
	st := replay(t, cfg, Options{Extra: []NamedWriter{{Name: "dwell", W: &got}}})
	b, err := impairtest.Bound(d.truth, res.LostFrame, cfg.T3212, st.LastTS)
	if err != nil {
		t.Fatal(err)
	}
	return impaired{share: impairtest.Share(d.want, got.rows), bound: impairtest.Share(d.want, b), st: st}
}

// impairments are what real taps and aggregators do to a capture.
var impairments = []struct {
	name string
	spec impairtest.Spec
	// gap: how far under the perfect-probe bound the probe may be.
	gap float64
}{
	{"none", impairtest.Spec{}, 0.005},
	{"loss 1%", impairtest.Spec{Loss: 0.01}, 0.005},
	{"burst loss (50 packets, 1 in 5,000)", impairtest.Spec{BurstRate: 0.0002, BurstLen: 50}, 0.005},
	{"duplicates 5%", impairtest.Spec{Dup: 0.05}, 0.005},
	{"reorder 50ms", impairtest.Spec{Reorder: 50 * time.Millisecond}, 0.005},
	{"reorder 50ms between links", impairtest.Spec{Reorder: 50 * time.Millisecond, PerLink: true}, 0.005},
	{"duplicates 5% + reorder 50ms", impairtest.Spec{Dup: 0.05, Reorder: 50 * time.Millisecond}, 0.005},
	{"one packet a year ahead", impairtest.Spec{Jump: 365 * 24 * time.Hour, JumpFrames: []uint64{20000}}, 0.005},
}

// TestImpairments replays a small town's day impaired every way and holds
// the probe's dwell share within half a point of what a perfect probe can
// know from the same impaired capture (for the impairments that lose
// nothing, that is the truth itself).
func TestImpairments(t *testing.T) {
	subs := 500
	if testing.Short() {
		subs = 200
	}
	d := simulatedDay(t, 21, subs)
	var base impaired
	for i, im := range impairments {
		spec := im.spec
		spec.Seed = uint64(i + 1)
		r := d.measure(t, spec)
		t.Logf("%-36s share %.4f bound %.4f  no_connection %d unidentified %d reorder_late %d clock_outliers %d silent %d",
			im.name, r.share, r.bound, r.st.Resolver.NoConnection, r.st.Unidentified(), r.st.Reorder.Late, r.st.Reorder.Outliers, r.st.State.Silent)
		if r.share < r.bound-im.gap {
			t.Errorf("%s: dwell share %.4f, more than %.1f points under the perfect-probe bound %.4f", im.name, r.share, 100*im.gap, r.bound)
		}
		switch {
		case i == 0:
			base = r
		case spec.Loss == 0 && spec.BurstRate == 0 && r.st.Reorder.Late > 0:
			t.Errorf("%s: %d packets later than the reorder window", im.name, r.st.Reorder.Late)
		}
		if spec.Jump != 0 && (r.st.Reorder.Outliers != 1 || r.st.State.Silent != base.st.State.Silent) {
			t.Errorf("%s: %d clock outliers, %d implicit detaches (%d without it)", im.name, r.st.Reorder.Outliers, r.st.State.Silent, base.st.State.Silent)
		}
	}
}

// TestImpairmentSweep measures every impairment over several seeds
// (make impair): SIGPROBE_IMPAIR_SUBS subscribers (default 2,000),
// SIGPROBE_IMPAIR_SEEDS seeds (default 3); the table goes to the log and,
// with SIGPROBE_IMPAIR_OUT, to that file.
func TestImpairmentSweep(t *testing.T) {
	if os.Getenv("SIGPROBE_IMPAIR") == "" {
		t.Skip("the impairment sweep runs with SIGPROBE_IMPAIR=1 (make impair)")
	}
	subs, _ := strconv.Atoi(envOr("SIGPROBE_IMPAIR_SUBS", "2000"))
	seeds, _ := strconv.Atoi(envOr("SIGPROBE_IMPAIR_SEEDS", "3"))
	var b strings.Builder
	fmt.Fprintf(&b, "Dwell share of the truth under each impairment, %d subscribers for a day, %d seeds (make impair)\n\n", subs, seeds)
	fmt.Fprintf(&b, "| impairment | seed | dwell share | perfect-probe bound | gap (points) | no_connection | unidentified | reorder_late |\n|---|---|---|---|---|---|---|---|\n")
	worst := map[string]float64{}
	for s := range seeds {
		d := simulatedDay(t, uint64(100+s), subs)
		for i, im := range impairments {
			spec := im.spec
			spec.Seed = uint64(1000*s + i + 1)
			r := d.measure(t, spec)
			gap := 100 * (r.bound - r.share)
			worst[im.name] = max(worst[im.name], gap)
			fmt.Fprintf(&b, "| %s | %d | %.4f | %.4f | %.2f | %d | %d | %d |\n", im.name, 100+s, r.share, r.bound, gap,
				r.st.Resolver.NoConnection, r.st.Unidentified(), r.st.Reorder.Late)
		}
	}
	t.Log("\n" + b.String())
	if out := os.Getenv("SIGPROBE_IMPAIR_OUT"); out != "" {
		if err := os.WriteFile(out, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, im := range impairments {
		if worst[im.name] > 100*im.gap {
			t.Errorf("%s: up to %.2f points under the bound", im.name, worst[im.name])
		}
	}
}
