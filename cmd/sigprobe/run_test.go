package main

import (
	"github.com/sigprobe/sigprobe/probe/capture/nettest"

	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gopacket/gopacket/pcapgo"
)

func TestRunBadInput(t *testing.T) {
	dir := t.TempDir()
	badKey := filepath.Join(dir, "bad.yaml")
	os.WriteFile(badKey, []byte("capture:\n  interfaces: [lo]\n  wokers: 2\n"), 0o644)
	noIface := filepath.Join(dir, "noiface.yaml")
	os.WriteFile(noIface, []byte("output:\n  format: jsonl\n"), 0o644)
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no interface", []string{"run", "--out", dir}, 2, "no interface to capture on: give -i IFACE"},
		{"config without interface", []string{"run", "--config", noIface}, 2, "no interface"},
		{"missing interface", []string{"run", "-i", "sigprobe-nonesuch0", "--metrics", "off", "--data-dir", dir}, 1, "interface sigprobe-nonesuch0 not found: list interfaces with `ip link`"},
		{"bad config key", []string{"run", "--config", badKey}, 1, "bad.yaml: line 3: field wokers not found"},
		{"missing config", []string{"run", "--config", filepath.Join(dir, "nope.yaml")}, 1, "no such file"},
		{"bad format", []string{"run", "-i", "lo", "--format", "csv"}, 2, "output.format"},
		{"bad ebpf", []string{"run", "-i", "lo", "--ebpf", "maybe"}, 2, "capture.ebpf"},
		{"rules without regions", []string{"run", "-i", "lo", "--rules", badKey}, 2, "rules name regions: give regions too"},
		{"stray argument", []string{"run", "-i", "lo", "eth9"}, 2, "unexpected argument"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := run(tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr %q", code, tc.code, stderr)
			}
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			if len(lines) != 1 || !strings.Contains(lines[0], tc.want) {
				t.Fatalf("stderr %q: want one line mentioning %q", stderr, tc.want)
			}
		})
	}
}

// TestRunLive is the end-to-end acceptance test: the sigprobe binary
// captures in a network namespace of the test's own what tcpreplay sends
// there, and its messages and subscriber table equal what decode and
// replay make of the same file.
func TestRunLive(t *testing.T) {
	needRoot(t, "tcpreplay")
	dir := t.TempDir()
	bin := filepath.Join(dir, "sigprobe")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	full, truth, pcap := filepath.Join(dir, "full.pcap"), filepath.Join(dir, "truth"), filepath.Join(dir, "sent.pcap")
	if code, _, stderr := run("gen", "--seed", "1", "--subscribers", "50", "--days", "1", "-o", full, "--truth", truth); code != 0 {
		t.Fatal(stderr)
	}
	const packets = 3000
	trimPcap(t, full, pcap, packets)
	regionsFile, attrsFile, rulesFile := filepath.Join(truth, "regions.yaml"), filepath.Join(truth, "attributes.csv"), filepath.Join(dir, "rules.yaml")
	if err := os.WriteFile(rulesFile, []byte("rules:\n  - name: any-power-on\n    kind: power_on\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	// What the file gives.
	code, decoded, stderr := run("decode", "-r", pcap)
	if code != 0 {
		t.Fatal(stderr)
	}
	wantMsgs := messageSet(t, decoded)
	replayOut := filepath.Join(dir, "replay")
	if code, _, stderr := run("replay", "-r", pcap, "--regions", regionsFile, "--rules", rulesFile, "--attributes", attrsFile, "--out", replayOut, "--format", "jsonl"); code != 0 {
		t.Fatal(stderr)
	}
	wantSubs := subscribers(t, filepath.Join(replayOut, "subscribers.jsonl"))
	nWant := 0
	for _, n := range wantMsgs {
		nWant += n
	}
	if nWant == 0 || len(wantSubs) == 0 {
		t.Fatalf("the test capture has %d messages and %d subscribers", nWant, len(wantSubs))
	}

	retry(t, func(t *testing.T, try int) bool {
		tn := newTestNet(t)
		msgs, out := filepath.Join(dir, fmt.Sprintf("messages-%d.jsonl", try)), filepath.Join(dir, fmt.Sprintf("live-%d", try))
		cmd := exec.Command("ip", "netns", "exec", tn.NS, bin, "run", "-i", tn.Cap, "--workers", "2",
			"--block-size", "262144", "--blocks", "64", "--ebpf", "require", "--metrics", "off",
			"--regions", regionsFile, "--rules", rulesFile, "--attributes", attrsFile, "--out", out, "--format", "jsonl", "--messages", msgs,
			"--data-dir", filepath.Join(dir, fmt.Sprintf("data-%d", try)))
		var logs syncBuffer
		cmd.Stdout, cmd.Stderr = &logs, &logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		defer cmd.Process.Kill()
		waitFor(t, &logs, exited, "msg=capturing")

		before := tn.rx(t)
		tn.replay(t, pcap, fmt.Sprintf("--pps=%d", 4000>>try))
		lost := lostBefore(before, tn.rx(t), packets)
		// Wait until every message is written or nothing moves for 2 s.
		last, lastChange, deadline := -1, time.Now(), time.Now().Add(20*time.Second)
		for time.Now().Before(deadline) && time.Since(lastChange) < 2*time.Second {
			n := countLines(msgs)
			if n >= nWant {
				break
			}
			if n != last {
				last, lastChange = n, time.Now()
			}
			time.Sleep(50 * time.Millisecond)
		}
		// SIGHUP reloads the lists and the probe carries on.
		cmd.Process.Signal(syscall.SIGHUP)
		waitFor(t, &logs, exited, "SIGHUP: reloaded")
		cmd.Process.Signal(syscall.SIGINT)
		select {
		case err := <-exited:
			if err != nil {
				t.Fatalf("sigprobe run: %v\n%s", err, logs.String())
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("sigprobe run still running 30 s after SIGINT\n%s", logs.String())
		}
		if lost {
			return true
		}
		t.Log(strings.TrimSpace(logs.String()))
		sum := summary(t, logs.String())
		if sum["packets"] != packets || sum["kernel_packets"] != packets || sum["kernel_drops"] != 0 || sum["queue_freezes"] != 0 {
			t.Errorf("sent %d packets; summary %v", packets, sum)
		}
		b, err := os.ReadFile(msgs)
		if err != nil {
			t.Fatal(err)
		}
		got := messageSet(t, string(b))
		if !maps.Equal(got, wantMsgs) {
			missing, extra := diffCount(wantMsgs, got), diffCount(got, wantMsgs)
			t.Errorf("--messages lines differ from decode of the file: %d missing, %d unexpected", missing, extra)
		}
		nGot := 0
		for _, n := range got {
			nGot += n
		}
		gotSubs := subscribers(t, filepath.Join(out, "subscribers.jsonl"))
		if !slices.Equal(gotSubs, wantSubs) {
			t.Errorf("subscribers: live learned %d, replay %d; they differ", len(gotSubs), len(wantSubs))
			for _, s := range gotSubs {
				if !slices.Contains(wantSubs, s) {
					t.Logf("live only:   %s", s)
				}
			}
			for _, s := range wantSubs {
				if !slices.Contains(gotSubs, s) {
					t.Logf("replay only: %s", s)
				}
			}
		}
		t.Logf("sent %d packets, received %d, kernel drops %d; %d messages compared (%d lines); %d subscribers compared",
			packets, sum["packets"], sum["kernel_drops"], nWant, nGot, len(wantSubs))
		return false
	})
}

// trimPcap writes the first n packets of in to out.
func trimPcap(t *testing.T, in, out string, n int) {
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
	o, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	bw := bufio.NewWriter(o)
	w := pcapgo.NewWriterNanos(bw)
	if err := w.WriteFileHeader(65535, r.LinkType()); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		data, ci, err := r.ReadPacketData()
		if err != nil {
			t.Fatalf("packet %d: %v", i+1, err)
		}
		if err := w.WritePacket(ci, data); err != nil {
			t.Fatal(err)
		}
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
}

var frameTs = regexp.MustCompile(`^\{"frame":\d+,"ts_ns":-?\d+`)

// messageSet counts JSON lines with frame and ts_ns taken out.
func messageSet(t *testing.T, lines string) map[string]int {
	t.Helper()
	m := map[string]int{}
	for l := range strings.SplitSeq(strings.TrimSpace(lines), "\n") {
		if l == "" {
			continue
		}
		if !frameTs.MatchString(l) {
			t.Fatalf("line without frame and ts_ns: %s", l)
		}
		m[frameTs.ReplaceAllString(l, "{")]++
	}
	return m
}

// diffCount is how many of a's lines b lacks.
func diffCount(a, b map[string]int) int {
	n := 0
	for k, v := range a {
		n += max(0, v-b[k])
	}
	return n
}

// subscribers returns "imsi msisdn imei" of each row, sorted.
func subscribers(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for l := range strings.SplitSeq(strings.TrimSpace(string(b)), "\n") {
		if l == "" {
			continue
		}
		var s struct{ IMSI, MSISDN, IMEI any }
		if err := json.Unmarshal([]byte(l), &s); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, fmt.Sprint(s.IMSI, " ", s.MSISDN, " ", s.IMEI))
	}
	slices.Sort(out)
	return out
}

var summaryField = regexp.MustCompile(`(\w+)=(\d+)\b`)

// summary parses the numbers of Live's summary log line.
func summary(t *testing.T, logs string) map[string]uint64 {
	t.Helper()
	for l := range strings.SplitSeq(logs, "\n") {
		if _, rest, ok := strings.Cut(l, `msg=summary `); ok {
			m := map[string]uint64{}
			for _, f := range summaryField.FindAllStringSubmatch(rest, -1) {
				var v uint64
				fmt.Sscan(f[2], &v)
				m[f[1]] = v
			}
			return m
		}
	}
	t.Fatalf("no summary line in\n%s", logs)
	return nil
}

func countLines(path string) int {
	b, _ := os.ReadFile(path)
	return bytes.Count(b, []byte{'\n'})
}

// waitFor waits until the process logs want.
func waitFor(t *testing.T, logs *syncBuffer, exited <-chan error, want string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(logs.String(), want) {
		select {
		case err := <-exited:
			t.Fatalf("sigprobe run exited (%v) before %q:\n%s", err, want, logs.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q after 20 s:\n%s", want, logs.String())
		}
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// The network namespace helpers are probe/capture/nettest's.

func needRoot(t testing.TB, tools ...string) {
	nettest.NeedRoot(t, append([]string{"go"}, tools...)...)
}

type testNet struct{ *nettest.Net }

func newTestNet(t testing.TB) *testNet { return &testNet{nettest.New(t)} }

func (tn *testNet) replay(t testing.TB, pcap string, opts ...string) { tn.Replay(t, pcap, opts...) }

type rxCounters = nettest.RX

func (tn *testNet) rx(t testing.TB) rxCounters { return tn.RX(t) }

func retry(t *testing.T, body func(t *testing.T, try int) (lostBefore bool)) { nettest.Retry(t, body) }

func lostBefore(before, after rxCounters, sent int) bool {
	return nettest.LostBefore(before, after, sent)
}
