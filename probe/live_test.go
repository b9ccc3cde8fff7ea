package probe

import (
	"github.com/sigprobe/sigprobe/probe/capture/nettest"

	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/sigprobe/sigprobe/probe/capture"
	"github.com/sigprobe/sigprobe/sim"
	"github.com/sigprobe/sigprobe/sim/scenario"
	"github.com/sigprobe/sigprobe/sink"
)

// liveConfig captures on ifaces with no files, state or endpoint.
func liveConfig(ifaces ...string) Config {
	c := DefaultConfig()
	c.Capture.Interfaces = ifaces
	c.Output.Dir, c.State.Dir, c.Metrics.Listen = Off, Off, Off
	return c
}

func TestOpenLiveMissingInterface(t *testing.T) {
	out := &countingSink{}
	_, err := Open(liveConfig("sigprobe-nonesuch0"), Options{Mode: ModeRun, Logger: quiet(), Extra: []NamedWriter{{"count", out}}})
	if !errors.Is(err, capture.ErrNoInterface) || !strings.Contains(err.Error(), "ip link") {
		t.Errorf("err = %v, want ErrNoInterface saying what to do", err)
	}
}

// TestLiveLowRate sends a few hundred packets slowly: every message reaches
// the messages writer and the pipeline while the capture still runs (a
// worker hands its batch on whenever its ring is empty, not when the batch
// is full), and the metrics count them.
func TestLiveLowRate(t *testing.T) {
	needRoot(t, "tcpreplay")
	const packets = 400
	pcap := simPcap(t, packets)
	tn := newTestNet(t)
	var msgs lockedBuffer
	var logs lockedBuffer
	out := &countingSink{}
	var p *Probe
	var err error
	tn.in(t, func() {
		cfg := liveConfig(tn.Cap)
		cfg.Capture.Workers, cfg.Capture.BlockSize, cfg.Capture.NumBlocks = 2, 256<<10, 16
		cfg.Messages = "-"
		p, err = Open(cfg, Options{Mode: ModeRun, Stdout: &msgs, Logger: slog.New(slog.NewTextHandler(&logs, nil)),
			Extra: []NamedWriter{{"count", out}}})
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type result struct {
		st  Stats
		err error
	}
	done := make(chan result, 1)
	go func() {
		st, err := p.Run(ctx)
		done <- result{st, err}
	}()
	tn.replay(t, pcap, "--pps=1000")
	// Before the end: the lines arrive at once, the metrics within a second.
	var prom string
	deadline := time.Now().Add(5 * time.Second)
	for {
		var b bytes.Buffer
		metrics.WritePrometheus(&b, false)
		prom = b.String()
		if metricValue(prom, "sigprobe_capture_packets_total") == packets && metricValue(prom, "sigprobe_messages_lines_total") > 0 &&
			metricValue(prom, "sigprobe_messages_lines_total") == uint64(bytes.Count(msgs.Bytes(), []byte{'\n'})) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 5 s: %d lines written; metrics:\n%s", bytes.Count(msgs.Bytes(), []byte{'\n'}), prom)
		}
		time.Sleep(20 * time.Millisecond)
	}
	linesBefore := bytes.Count(msgs.Bytes(), []byte{'\n'})
	cancel()
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	st := r.st
	t.Log(st.LogAttrs()...)
	if st.Capture.Received != packets || st.Capture.KernelDrops != 0 {
		t.Errorf("received %d, kernel drops %d; sent %d", st.Capture.Received, st.Capture.KernelDrops, packets)
	}
	if st.Lines != uint64(linesBefore) || st.Lines == 0 || st.Lines > st.Decode.Messages {
		t.Errorf("%d lines written before the end, %d in all, %d messages decoded", linesBefore, st.Lines, st.Decode.Messages)
	}
	if out.closed.Load() != 1 || out.rows.Load() != st.Rows || st.State.Subscribers == 0 {
		t.Errorf("sink closed %d times, %d rows (stats %d), %d subscribers", out.closed.Load(), out.rows.Load(), st.Rows, st.State.Subscribers)
	}
	for _, name := range []string{"sigprobe_capture_kernel_packets_total", "sigprobe_bpf_passed_total", "sigprobe_decode_messages_total"} {
		if metricValue(prom, name) == 0 {
			t.Errorf("metric %s is 0 or missing", name)
		}
	}
	for _, name := range []string{"sigprobe_capture_kernel_drops_total", "sigprobe_capture_queue_freezes_total", "sigprobe_bpf_dropped_total", `sigprobe_decode_errors_total{layer="sctp"}`} {
		if !strings.Contains(prom, name+" ") {
			t.Errorf("metric %s missing", name)
		}
	}
	for _, step := range []string{"capture stopped", "workers drained", "pipeline closed", "outputs closed", "summary packets=400"} {
		if !strings.Contains(logs.String(), step) {
			t.Errorf("log has no %q:\n%s", step, logs.String())
		}
	}
}

func metricValue(prom, name string) uint64 {
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` (\d+)$`).FindStringSubmatch(prom)
	if m == nil {
		return 0
	}
	var v uint64
	fmt.Sscan(m[1], &v)
	return v
}

type countingSink struct {
	rows   atomic.Uint64
	closed atomic.Int32
}

func (s *countingSink) Write(b *sink.Batch) error { s.rows.Add(uint64(b.Len())); return nil }
func (s *countingSink) Close() error              { s.closed.Add(1); return nil }

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) Bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return bytes.Clone(l.b.Bytes())
}

func (l *lockedBuffer) String() string { return string(l.Bytes()) }

// simPcap writes the first n packets of a small simulated day.
func simPcap(t testing.TB, n int) string { return simPcapN(t, 50, n) }

// simPcapN writes the first n packets of a simulated day of subs subscribers.
func simPcapN(t testing.TB, subs, n int) string {
	t.Helper()
	dir := t.TempDir()
	sc, err := scenario.Load("")
	if err != nil {
		t.Fatal(err)
	}
	full := filepath.Join(dir, "sim.pcap")
	cfg := sim.Config{Seed: 1, Subscribers: subs, Days: 1, Start: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC),
		Scenario: sc, PCAP: full, TruthDir: filepath.Join(dir, "truth")}
	if _, err := sim.Run(cfg); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(full)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "first.pcap")
	o, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	w := pcapgo.NewWriterNanos(o)
	if err := w.WriteFileHeader(65535, r.LinkType()); err != nil {
		t.Fatal(err)
	}
	for range n {
		data, ci, err := r.ReadPacketData()
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WritePacket(ci, data); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

// The network namespace helpers are probe/capture/nettest's.

func needRoot(t testing.TB, tools ...string) { nettest.NeedRoot(t, tools...) }

type testNet struct{ *nettest.Net }

func newTestNet(t testing.TB) *testNet { return &testNet{nettest.New(t)} }

func (tn *testNet) in(t testing.TB, f func())                        { tn.In(t, f) }
func (tn *testNet) replay(t testing.TB, pcap string, opts ...string) { tn.Replay(t, pcap, opts...) }
