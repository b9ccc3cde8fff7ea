package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	pq "github.com/parquet-go/parquet-go"

	"github.com/sigprobe/sigprobe/internal/chfronttest"
	"github.com/sigprobe/sigprobe/sink"
	"github.com/sigprobe/sigprobe/sink/clickhouse"
	"github.com/sigprobe/sigprobe/sink/natsbus"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// binary builds the sigprobe binary once per test process.
func binary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sigprobe-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "sigprobe")
		if out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput(); err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// TestReplayKill9 kills `sigprobe replay --state` with SIGKILL at random
// points and starts the same command again each time: the tables at the end
// equal those of an uninterrupted run row for row (as multisets), in every
// table, for Parquet and JSON lines; and the triggers reach NATS each once.
func TestReplayKill9(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	pcap, truth := filepath.Join(dir, "town.pcap"), filepath.Join(dir, "truth")
	if code, _, stderr := run("gen", "--seed", "12", "--subscribers", "1500", "--days", "1", "-o", pcap, "--truth", truth); code != 0 {
		t.Fatal(stderr)
	}
	rules := filepath.Join(truth, "rules.yaml")
	b, err := os.ReadFile("../../deploy/rules.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(rules, b, 0o644)
	seed := uint64(time.Now().UnixNano())
	t.Logf("kill points from seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))

	// Small Parquet files: most close (and are renamed into place) between
	// checkpoints, so a crash leaves whole files the checkpoint does not
	// cover, which the restart must discard.
	conf := filepath.Join(dir, "sigprobe.yaml")
	os.WriteFile(conf, []byte("output:\n  parquet:\n    max_rows: 2000\n"), 0o644)
	for _, format := range []string{"parquet", "jsonl", "clickhouse"} {
		t.Run(format, func(t *testing.T) {
			// ClickHouse: JSON lines files and a ClickHouse database per run,
			// behind a real engine (chDB through its HTTP front).
			var front *chfronttest.Front
			if format == "clickhouse" {
				front = chfronttest.Start(t)
				for _, db := range []string{"ref", "killed"} {
					if _, err := clickhouse.Apply(context.Background(), front.DSN(db), ""); err != nil {
						t.Fatal(err)
					}
				}
			}
			files := format
			if format == "clickhouse" {
				files = "jsonl"
			}
			args := func(name string) []string {
				a := []string{"replay", "--config", conf, "-r", pcap, "--regions", filepath.Join(truth, "regions.yaml"), "--rules", rules,
					"--attributes", filepath.Join(truth, "attributes.csv"), "--format", files,
					"--out", filepath.Join(dir, format, name, "tables"), "--state", filepath.Join(dir, format, name, "state"),
					"--data-dir", filepath.Join(dir, format, name), "--checkpoint-interval", "150ms"}
				if format == "jsonl" {
					a = append(a, "--nats", "embedded")
				}
				if front != nil {
					a = append(a, "--clickhouse", front.DSN(name))
				}
				return a
			}
			ref := exec.Command(bin, args("ref")...)
			t0 := time.Now()
			if out, err := ref.CombinedOutput(); err != nil {
				t.Fatalf("uninterrupted run: %v\n%s", err, out)
			}
			full := time.Since(t0)

			kills, runs := 0, 0
			for kills < 10 && runs < 60 {
				runs++
				cmd := exec.Command(bin, args("killed")...)
				logs := &syncBuffer{}
				cmd.Stderr = logs
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				exited := make(chan error, 1)
				go func() { exited <- cmd.Wait() }()
				// Kill anywhere in the run, from before the first checkpoint to the end.
				select {
				case err := <-exited:
					if err != nil {
						t.Fatalf("run %d failed: %v\n%s", runs, err, logs.String())
					}
					t.Logf("run %d finished before its kill point", runs)
				case <-time.After(time.Duration(rng.Int64N(int64(full)/5 + 1))):
					cmd.Process.Kill()
					if err := <-exited; err == nil {
						t.Logf("run %d finished as it was killed", runs)
					} else {
						kills++
					}
				}
				if strings.Contains(logs.String(), "level=ERROR") {
					t.Fatalf("run %d logged an error:\n%s", runs, logs.String())
				}
				if strings.Contains(logs.String(), "nothing to do") {
					break
				}
			}
			if out, err := exec.Command(bin, args("killed")...).CombinedOutput(); err != nil {
				t.Fatalf("final run: %v\n%s", err, out)
			}
			if kills < 10 {
				t.Fatalf("only %d of %d runs were killed mid-replay", kills, runs)
			}
			want, got := readTables(t, filepath.Join(dir, format, "ref", "tables"), files), readTables(t, filepath.Join(dir, format, "killed", "tables"), files)
			for _, table := range sink.Tables {
				lost, doubled := diffCount(want[table], got[table]), diffCount(got[table], want[table])
				t.Logf("%s: %d rows uninterrupted, %d after %d kills: %d lost, %d doubled", table, total(want[table]), total(got[table]), kills, lost, doubled)
				if lost != 0 || doubled != 0 || total(want[table]) == 0 && table != "triggers" {
					t.Errorf("%s: %d rows lost, %d doubled (uninterrupted run: %d rows)", table, lost, doubled, total(want[table]))
				}
			}
			if tmp, _ := filepath.Glob(filepath.Join(dir, format, "killed", "tables", "*", ".*.tmp")); len(tmp) > 0 {
				t.Errorf("temporary files left: %v", tmp)
			}
			if front != nil {
				for _, k := range chfronttest.Keys {
					want := chfronttest.JSONRows(t, filepath.Join(dir, format, "ref", "tables", k.Table+".jsonl"), k.Cols)
					got := chfronttest.TableRows(t, front.DSN("killed"), k.Table, k.Cols)
					lost, doubled := chfronttest.Diff(want, got), chfronttest.Diff(got, want)
					t.Logf("ClickHouse %s: %d rows uninterrupted, %d after %d kills: %d lost, %d doubled", k.Table, chfronttest.Count(want), chfronttest.Count(got), kills, lost, doubled)
					if lost != 0 || doubled != 0 {
						t.Errorf("ClickHouse %s: %d rows lost, %d doubled", k.Table, lost, doubled)
					}
				}
			}
			if format == "jsonl" {
				ids := streamIDs(t, filepath.Join(dir, format, "killed", "nats"))
				var wantIDs []string
				for line := range want["triggers"] {
					var tr struct {
						ID      string
						Control bool
					}
					json.Unmarshal([]byte(line), &tr)
					if tr.Control {
						continue // a campaign's control group: recorded, never published
					}
					for range want["triggers"][line] {
						wantIDs = append(wantIDs, tr.ID)
					}
				}
				slices.Sort(wantIDs)
				if !slices.Equal(ids, wantIDs) {
					t.Errorf("NATS stream after %d kills holds %d triggers, the uninterrupted run published %d (each must be there once)", kills, len(ids), len(wantIDs))
				}
				t.Logf("NATS: %d triggers in the stream, each once", len(ids))
			}
		})
	}
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// readTables reads every table of a file output as a multiset of rows.
func readTables(t *testing.T, dir, format string) map[string]map[string]int {
	t.Helper()
	out := map[string]map[string]int{}
	for _, table := range sink.Tables {
		rows := map[string]int{}
		if format == "jsonl" {
			f, err := os.Open(filepath.Join(dir, table+".jsonl"))
			if err != nil {
				t.Fatal(err)
			}
			sc := bufio.NewScanner(f)
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				rows[sc.Text()]++
			}
			f.Close()
		} else {
			files, _ := filepath.Glob(filepath.Join(dir, table, "*.parquet"))
			for _, name := range files {
				f, err := os.Open(name)
				if err != nil {
					t.Fatal(err)
				}
				st, _ := f.Stat()
				pf, err := pq.OpenFile(f, st.Size())
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				r := pq.NewReader(pf)
				buf := make([]pq.Row, 64)
				for {
					n, err := r.ReadRows(buf)
					for _, row := range buf[:n] {
						var sb strings.Builder
						for _, v := range row {
							sb.WriteString(v.String())
							sb.WriteByte('|')
						}
						rows[sb.String()]++
					}
					if err != nil {
						break
					}
				}
				f.Close()
			}
		}
		out[table] = rows
	}
	return out
}

// streamIDs reads every trigger id in the stream of an embedded NATS store.
func streamIDs(t *testing.T, store string) []string {
	t.Helper()
	srv, err := natsbus.Embedded(natsbus.EmbeddedConfig{StoreDir: store, Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	// As the consumer the probe's first start generated.
	seed, err := nats.NkeyOptionFromSeed(filepath.Join(store, "consumer.nk"))
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(srv.URL(), seed)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// An ephemeral pull consumer: the server removes it when it goes idle
	// (the consumer user may not delete consumers).
	cons, err := js.CreateConsumer(ctx, natsbus.StreamName, jetstream.ConsumerConfig{AckPolicy: jetstream.AckNonePolicy, InactiveThreshold: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for {
		batch, err := cons.Fetch(1000, jetstream.FetchMaxWait(500*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for m := range batch.Messages() {
			var p natsbus.Payload
			if err := json.Unmarshal(m.Data(), &p); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, p.ID)
			n++
		}
		if n == 0 {
			break
		}
	}
	slices.Sort(ids)
	return ids
}

// Replaying into tables that another run wrote would double their rows: it
// is refused without that run's state; with it, a finished capture is not
// replayed again. A damaged checkpoint is an error naming the file, and
// --reset-state moves it aside.
func TestReplayRefusesToDouble(t *testing.T) {
	dir := t.TempDir()
	pcap, truth := filepath.Join(dir, "a.pcap"), filepath.Join(dir, "truth")
	if code, _, stderr := run("gen", "--seed", "5", "--subscribers", "100", "-o", pcap, "--truth", truth); code != 0 {
		t.Fatal(stderr)
	}
	out, state := filepath.Join(dir, "out"), filepath.Join(dir, "state")
	args := []string{"replay", "-r", pcap, "--out", out, "--format", "jsonl"}
	if code, _, stderr := run(append(args, "--state", state)...); code != 0 {
		t.Fatal(stderr)
	}
	before, _ := os.ReadFile(filepath.Join(out, "events.jsonl"))

	code, _, stderr := run(args...)
	if code == 0 || !strings.Contains(stderr, "already holds tables") || !strings.Contains(stderr, "no --state was given") {
		t.Errorf("replay into a used --out without state: exit %d, %q", code, stderr)
	}
	code, _, stderr = run(append(args, "--state", filepath.Join(dir, "other"))...)
	if code == 0 || !strings.Contains(stderr, "is new") {
		t.Errorf("replay into a used --out with another state: exit %d, %q", code, stderr)
	}
	code, _, stderr = run(append(args, "--state", state)...)
	if code != 0 || !strings.Contains(stderr, "nothing to do") {
		t.Errorf("replay of a finished capture: exit %d, %q", code, stderr)
	}
	after, _ := os.ReadFile(filepath.Join(out, "events.jsonl"))
	if len(before) == 0 || string(before) != string(after) {
		t.Errorf("the table changed: %d bytes, then %d", len(before), len(after))
	}

	ck := filepath.Join(state, "checkpoint")
	b, err := os.ReadFile(ck)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x10
	os.WriteFile(ck, b, 0o640)
	code, _, stderr = run(append(args, "--state", state)...)
	if code == 0 || !strings.Contains(stderr, ck) || !strings.Contains(stderr, "checksum") || !strings.Contains(stderr, "--reset-state") {
		t.Errorf("damaged checkpoint: exit %d, %q", code, stderr)
	}
	code, _, stderr = run(append(args, "--state", state, "--reset-state")...)
	if code == 0 || !strings.Contains(stderr, "is new") {
		t.Errorf("--reset-state with the old tables still there: exit %d, %q", code, stderr)
	}
	if aside, _ := filepath.Glob(filepath.Join(state, "aside-*", "checkpoint")); len(aside) != 1 {
		t.Errorf("the damaged checkpoint was not moved aside: %v", aside)
	}
}
