package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gopacket/gopacket/pcapgo"
)

// TestRunKill9 kills the live daemon with SIGKILL between two bursts of
// traffic in its own network namespace and starts it again on the same
// state: what the tables hold at the end equals what an uninterrupted
// daemon wrote from the same traffic. The kill comes once the first burst
// is through the pipeline, so the kernel ring holds nothing then: nothing
// may be lost or doubled. (Capture times are the kernel's, so rows are
// compared without their timestamps, and with one capture worker: with
// several, the order in which their batches meet in the pipeline varies
// from run to run, and with it whether a row already knows the MSISDN.)
func TestRunKill9(t *testing.T) {
	needRoot(t, "tcpreplay")
	bin := binary(t)
	dir := t.TempDir()
	full, truth := filepath.Join(dir, "full.pcap"), filepath.Join(dir, "truth")
	if code, _, stderr := run("gen", "--seed", "3", "--subscribers", "60", "--days", "1", "-o", full, "--truth", truth); code != 0 {
		t.Fatal(stderr)
	}
	const first, packets = 2500, 5000
	a, b := filepath.Join(dir, "a.pcap"), filepath.Join(dir, "b.pcap")
	splitAt(t, full, a, b, first, packets)
	rules := filepath.Join(dir, "rules.yaml")
	os.WriteFile(rules, []byte("rules:\n  - name: any-power-on\n    kind: power_on\n  - name: any-lu\n    kind: location_update\n"), 0o644)
	wantA := countMessages(t, a)
	wantB := countMessages(t, b)

	start := func(tn *testNet, name string) (*exec.Cmd, *syncBuffer, <-chan error) {
		data := filepath.Join(dir, name)
		os.MkdirAll(data, 0o750)
		cmd := exec.Command("ip", "netns", "exec", tn.NS, bin, "run", "-i", tn.Cap, "--workers", "1", "--metrics", "off",
			"--regions", filepath.Join(truth, "regions.yaml"), "--rules", rules, "--format", "jsonl",
			"--data-dir", data, "--messages", filepath.Join(data, "messages.jsonl"), "--nats", "embedded", "--nats-listen", "127.0.0.1:0")
		logs := &syncBuffer{}
		cmd.Stdout, cmd.Stderr = logs, logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		waitFor(t, logs, exited, "msg=capturing")
		return cmd, logs, exited
	}
	// send replays pcap and waits until the daemon has written want
	// message lines and a moment more (the pipeline logs each batch before
	// it acts on it, microseconds later).
	send := func(tn *testNet, pcap, name string, want int, exited <-chan error) (lost bool) {
		before := tn.rx(t)
		tn.replay(t, pcap, "--pps=2000")
		n := 0
		if lostBefore(before, tn.rx(t), countPackets(t, pcap)) {
			return true
		}
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if n = countLines(filepath.Join(dir, name, "messages.jsonl")); n >= want {
				break
			}
		}
		if n < want {
			t.Fatalf("%s: %d of %d messages written", name, n, want)
		}
		time.Sleep(500 * time.Millisecond)
		return false
	}
	stop := func(cmd *exec.Cmd, logs *syncBuffer, exited <-chan error) {
		cmd.Process.Signal(syscall.SIGINT)
		select {
		case err := <-exited:
			if err != nil {
				t.Fatalf("sigprobe run: %v\n%s", err, logs.String())
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("still running 30 s after SIGINT\n%s", logs.String())
		}
	}

	retry(t, func(t *testing.T, try int) bool {
		ref, killed := fmt.Sprintf("ref-%d", try), fmt.Sprintf("killed-%d", try)
		tn := newTestNet(t)
		cmd, logs, exited := start(tn, ref)
		if send(tn, a, ref, wantA, exited) || send(tn, b, ref, wantA+wantB, exited) {
			cmd.Process.Kill()
			return true
		}
		stop(cmd, logs, exited)

		tn = newTestNet(t)
		cmd, logs, exited = start(tn, killed)
		if send(tn, a, killed, wantA, exited) {
			cmd.Process.Kill()
			return true
		}
		cmd.Process.Kill() // kill -9
		<-exited
		cmd, logs, exited = start(tn, killed) // same namespace, same state
		if !strings.Contains(logs.String(), "replayed the write-ahead log") {
			t.Errorf("restart did not replay the log:\n%s", logs.String())
		}
		if send(tn, b, killed, wantB, exited) {
			cmd.Process.Kill()
			return true
		}
		stop(cmd, logs, exited)
		t.Log(strings.TrimSpace(logs.String()))

		for _, table := range []string{"trajectories", "dwell", "events", "triggers", "subscribers"} {
			want := projected(t, filepath.Join(dir, ref, "tables", table+".jsonl"))
			got := projected(t, filepath.Join(dir, killed, "tables", table+".jsonl"))
			lost, doubled := diffCount(want, got), diffCount(got, want)
			t.Logf("%s: %d rows uninterrupted, %d with a kill -9 between the bursts: %d lost, %d doubled", table, total(want), total(got), lost, doubled)
			if lost != 0 || doubled != 0 || total(want) == 0 {
				t.Errorf("%s: %d lost, %d doubled (uninterrupted: %d rows)", table, lost, doubled, total(want))
				for k, n := range want {
					if got[k] < n {
						t.Logf("only uninterrupted: %s", k)
					}
				}
				for k, n := range got {
					if want[k] < n {
						t.Logf("only after the kill: %s", k)
					}
				}
			}
		}
		return false
	})
}

// projected reads a JSON lines table as a multiset of rows without the
// columns that hold capture times (the kernel's, different in each run).
func projected(t *testing.T, path string) map[string]int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := map[string]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var row map[string]any
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatal(err)
		}
		for k := range row {
			if strings.HasSuffix(k, "ts") || strings.HasSuffix(k, "_ts") || k == "id" || k == "first_seen" || k == "last_seen" ||
				k == "duration_s" || k == "dwell_s" {
				delete(row, k)
			}
		}
		b, _ := json.Marshal(row)
		m[string(b)]++
	}
	return m
}

// splitAt writes packets [0,n) of in to a and [n,m) to b.
func splitAt(t *testing.T, in, a, b string, n, m int) {
	t.Helper()
	f, err := os.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewReader(bufio.NewReader(f))
	if err != nil {
		t.Fatal(err)
	}
	var ws [2]*pcapgo.Writer
	for i, p := range []string{a, b} {
		o, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		defer o.Close()
		ws[i] = pcapgo.NewWriterNanos(o)
		ws[i].WriteFileHeader(65535, r.LinkType())
	}
	for i := range m {
		data, ci, err := r.ReadPacketData()
		if err != nil {
			t.Fatalf("packet %d: %v", i+1, err)
		}
		w := ws[0]
		if i >= n {
			w = ws[1]
		}
		w.WritePacket(ci, data)
	}
}

func countMessages(t *testing.T, pcap string) int {
	t.Helper()
	code, out, stderr := run("decode", "-r", pcap)
	if code != 0 {
		t.Fatal(stderr)
	}
	return strings.Count(out, "\n")
}

func countPackets(t *testing.T, pcap string) int {
	t.Helper()
	f, err := os.Open(pcap)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		if _, _, err := r.ReadPacketData(); err != nil {
			return n
		}
		n++
	}
}
