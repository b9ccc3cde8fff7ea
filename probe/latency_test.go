package probe

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/VictoriaMetrics/metrics"
)

// BenchmarkTriggerLatency measures sigprobe_trigger_latency_seconds — from
// a packet's capture time to the JetStream acknowledgement of the trigger
// it fired — in a live probe in a network namespace of its own, fed by
// tcpreplay at a fixed rate (SIGPROBE_LATENCY_PPS, default 5000 packets/s)
// for about ten seconds, with rules that fire on every power-on and
// location update. p50 and p99 are read off the histogram's buckets (the
// bucket's upper bound), as an operator would from /metrics.
//
//	make bench-latency
func BenchmarkTriggerLatency(b *testing.B) {
	needRoot(b, "tcpreplay")
	pps := 5000
	if v, err := strconv.Atoi(envOr("SIGPROBE_LATENCY_PPS", "5000")); err == nil && v > 0 {
		pps = v
	}
	pcap := simPcapN(b, 2000, 10*pps)
	dir := b.TempDir()
	rules := writeFile(b, dir, "rules.yaml", "rules:\n  - name: on\n    kind: power_on\n  - name: lu\n    kind: location_update\n")
	for b.Loop() {
		tn := newTestNet(b)
		var p *Probe
		var err error
		tn.in(b, func() {
			cfg := liveConfig(tn.Cap)
			cfg.Capture.Workers = 2
			cfg.Rules, cfg.Regions = rules, writeFile(b, dir, "regions.yaml", "regions:\n  - name: nowhere\n    kind: mall\n    cells: [{lac: 1, ci: 1}]\n")
			cfg.NATS.Embedded.StoreDir, cfg.NATS.Embedded.Listen = filepath.Join(b.TempDir(), "nats"), "127.0.0.1:0"
			p, err = Open(cfg, Options{Mode: ModeRun, Logger: quiet()})
		})
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { _, err := p.Run(ctx); done <- err }()
		time.Sleep(200 * time.Millisecond)
		tn.replay(b, pcap, fmt.Sprintf("--pps=%d", pps))
		time.Sleep(time.Second) // the last acknowledgements
		var buf bytes.Buffer
		metrics.WritePrometheus(&buf, false)
		cancel()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		n, p50, p99 := histQuantiles(buf.String(), "sigprobe_trigger_latency_seconds")
		if n == 0 {
			b.Fatalf("no trigger latency observed:\n%s", buf.String())
		}
		b.ReportMetric(float64(n), "triggers")
		b.ReportMetric(p50*1e3, "p50-ms")
		b.ReportMetric(p99*1e3, "p99-ms")
		b.ReportMetric(float64(pps), "pps")
		// Packets the kernel handed over after the worker had taken its
		// time as complete: what a shorter slack would cost in order.
		late := 0.0
		for _, name := range []string{"sigprobe_capture_reorder_late_total", "sigprobe_pipeline_merge_late_total"} {
			if m := regexp.MustCompile(`(?m)^` + name + ` (\d+)$`).FindStringSubmatch(buf.String()); m != nil {
				v, _ := strconv.ParseFloat(m[1], 64)
				late += v
			}
		}
		b.ReportMetric(late, "late-pkts")
		if testing.Verbose() {
			for _, m := range bucketLine.FindAllString(buf.String(), -1) {
				if bytes.Contains([]byte(m), []byte("trigger_latency")) {
					b.Log(m)
				}
			}
		}
	}
}

var bucketLine = regexp.MustCompile(`(?m)^(\w+)_bucket\{le="([^"]+)"\} (\d+)$`)

// histQuantiles reads a Prometheus histogram's count and the upper bounds
// of the buckets holding its 50th and 99th percentiles.
func histQuantiles(prom, name string) (n uint64, p50, p99 float64) {
	type bucket struct {
		le    float64
		count uint64
	}
	var bs []bucket
	for _, m := range bucketLine.FindAllStringSubmatch(prom, -1) {
		if m[1] != name {
			continue
		}
		le := math.Inf(1)
		if m[2] != "+Inf" {
			le, _ = strconv.ParseFloat(m[2], 64)
		}
		c, _ := strconv.ParseUint(m[3], 10, 64)
		bs = append(bs, bucket{le, c})
	}
	if len(bs) == 0 {
		return 0, 0, 0
	}
	n = bs[len(bs)-1].count
	q := func(f float64) float64 {
		for _, b := range bs {
			if float64(b.count) >= f*float64(n) {
				return b.le
			}
		}
		return math.Inf(1)
	}
	return n, q(0.5), q(0.99)
}
