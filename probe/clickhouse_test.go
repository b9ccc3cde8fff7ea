package probe

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sigprobe/sigprobe/internal/chfronttest"
	"github.com/sigprobe/sigprobe/sim"
	"github.com/sigprobe/sigprobe/sim/scenario"
	"github.com/sigprobe/sigprobe/sink/clickhouse"
)

// The ClickHouse output of a replay, against a real ClickHouse engine
// (chDB behind deploy/clickhouse/chdb/front.js, over clickhouse-go's HTTP
// protocol): every row lands; and with the server killed in the middle of
// the replay and back later, nothing is lost or doubled — the blocks wait
// in the spool, the replay says so, and running it again on its state
// delivers them.
func TestReplayToClickHouse(t *testing.T) {
	front := chfronttest.Start(t)
	dir := t.TempDir()
	sc, _ := scenario.Load("")
	pcap, truth := filepath.Join(dir, "d.pcap"), filepath.Join(dir, "truth")
	if _, err := sim.Run(sim.Config{Seed: 66, Subscribers: 800, Days: 1, Start: time.Date(2026, 10, 7, 0, 0, 0, 0, time.UTC),
		Scenario: sc, PCAP: pcap, TruthDir: truth}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, db := range []string{"whole", "outage"} {
		if _, err := clickhouse.Apply(ctx, front.DSN(db), ""); err != nil {
			t.Fatalf("schema: %v", err)
		}
	}
	config := func(name string) Config {
		c := replayConfig(pcap, filepath.Join(dir, name))
		c.Regions = filepath.Join(truth, "regions.yaml")
		c.Rules = writeFile(t, dir, "rules.yaml", truthRules)
		c.State.Dir = filepath.Join(dir, name+"-state")
		c.Output.ClickHouse.DSN = front.DSN(name)
		c.Output.ClickHouse.SpoolDir = filepath.Join(dir, name+"-spool")
		c.Output.ClickHouse.BatchRows = 3000
		c.Output.ClickHouse.InsertTimeout, c.Output.ClickHouse.CloseTimeout = 30*time.Second, 2*time.Minute
		return c
	}
	check := func(name string) {
		t.Helper()
		for _, k := range chfronttest.Keys {
			want := chfronttest.JSONRows(t, filepath.Join(dir, name, k.Table+".jsonl"), k.Cols)
			got := chfronttest.TableRows(t, front.DSN(name), k.Table, k.Cols)
			lost, doubled := chfronttest.Diff(want, got), chfronttest.Diff(got, want)
			t.Logf("%s %s: %d rows written as JSON lines, %d in ClickHouse: %d lost, %d doubled", name, k.Table, chfronttest.Count(want), chfronttest.Count(got), lost, doubled)
			if lost != 0 || doubled != 0 || chfronttest.Count(want) == 0 {
				t.Errorf("%s %s: %d lost, %d doubled of %d", name, k.Table, lost, doubled, chfronttest.Count(want))
			}
		}
	}

	replay(t, config("whole"), Options{})
	check("whole")

	// The outage: the front dies once the first blocks are in.
	p, err := Open(config("outage"), Options{Mode: ModeReplay, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := p.Run(ctx); done <- err }()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		if chfronttest.Count(chfronttest.TableRows(t, front.DSN("outage"), "events", []string{"imsi"})) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no row reached ClickHouse in a minute")
		}
	}
	front.Kill()
	err = <-done
	t.Logf("replay with ClickHouse down: %v", err)
	if err == nil || !strings.Contains(err.Error(), "spool") {
		t.Errorf("the replay ended with ClickHouse down and said %v, want a word about the spool", err)
	}
	front.Restart()
	replay(t, config("outage"), Options{}) // nothing to replay; the spool drains
	check("outage")
}
