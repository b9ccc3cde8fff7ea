package probe

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/sigprobe/sigprobe/format/regions"
)

// cpuTime is the CPU time the process has used: what a load costs on a
// busy machine, whatever else runs.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// manyRegions writes a regions file of n regions of 8 cells each (cells
// shared between regions as in a dense city) and returns its path.
func manyRegions(t testing.TB, n int) string {
	t.Helper()
	var b []byte
	b = append(b, "regions:\n"...)
	for i := range n {
		b = fmt.Appendf(b, "  - name: r%d\n    kind: shop\n    cells: [", i)
		for k := range 8 {
			x := uint32(i*7919 + k*104729)
			if k > 0 {
				b = append(b, ", "...)
			}
			b = fmt.Appendf(b, "{lac: %d, ci: %d}", 256+x%500, x/500%65536)
		}
		b = append(b, "]\n"...)
	}
	path := filepath.Join(t.TempDir(), "regions.yaml")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// emptyPcap is a capture without packets.
func emptyPcap(t testing.TB) string {
	path := filepath.Join(t.TempDir(), "empty.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := pcapgo.NewWriterNanos(f).WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	return path
}

// 100,000 regions: read and indexed, and a probe opened on them, in under
// a second of CPU each.
func TestManyRegionsLoadFast(t *testing.T) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("SIGPROBE_REGIONS")); err == nil && v > 0 {
		n = v
	}
	path := manyRegions(t, n)
	c0 := cpuTime()
	t0 := time.Now()
	rf, err := regions.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	load, wall := cpuTime()-c0, time.Since(t0)
	if len(rf.Regions) != n {
		t.Fatalf("%d regions read", len(rf.Regions))
	}
	cfg := DefaultConfig()
	cfg.Capture.File = emptyPcap(t)
	cfg.Regions = path
	var got dwellRows
	c0, t0 = cpuTime(), time.Now()
	p, err := Open(cfg, Options{Mode: ModeReplay, Logger: quiet(), Extra: []NamedWriter{{Name: "x", W: &got}}})
	if err != nil {
		t.Fatal(err)
	}
	open, owall := cpuTime()-c0, time.Since(t0)
	p.abort()
	t.Logf("%d regions: read in %v CPU (%v wall), probe opened in %v CPU (%v wall)", n, load, wall, open, owall)
	if load > time.Second || open > time.Second {
		t.Fatalf("read in %v, opened in %v of CPU: want under a second each", load, open)
	}
}
