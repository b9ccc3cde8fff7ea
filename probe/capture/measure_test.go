package capture

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"

	"github.com/sigprobe/sigprobe/sim"
	"github.com/sigprobe/sigprobe/sim/scenario"
)

// TestMeasureRate finds the highest replay rate the capture takes without a
// drop and what each packet costs this process in CPU. It takes minutes and
// loads both cores, so it runs only when asked:
//
//	SIGPROBE_CAPTURE_MEASURE=1 go test -run TestMeasureRate -v -timeout 30m ./probe/capture
//
// SIGPROBE_CAPTURE_RATES overrides the rates tried (comma-separated pps,
// "max" for tcpreplay --topspeed). bpf/README.md ("Measured") has the results.
func TestMeasureRate(t *testing.T) {
	if os.Getenv("SIGPROBE_CAPTURE_MEASURE") == "" {
		t.Skip("skipping: a measurement, not a test; set SIGPROBE_CAPTURE_MEASURE=1 to run it")
	}
	needRoot(t, "tcpreplay")
	rates := []string{"50000", "100000", "200000", "300000", "400000", "max"}
	if r := os.Getenv("SIGPROBE_CAPTURE_RATES"); r != "" {
		rates = strings.Split(r, ",")
	}
	// 300 subscribers for a day: about 121k packets, 134 bytes on average.
	dir := t.TempDir()
	sc, err := scenario.Load("")
	if err != nil {
		t.Fatal(err)
	}
	pcap := filepath.Join(dir, "sim.pcap")
	st, err := sim.Run(sim.Config{Seed: 1, Subscribers: 300, Days: 1, Start: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC),
		Scenario: sc, PCAP: pcap, TruthDir: filepath.Join(dir, "truth")})
	if err != nil {
		t.Fatal(err)
	}
	const loops = 5
	t.Logf("signaling only: %d loops of %d packets, %.0f B each on average", loops, st.Packets, float64(st.Bytes)/float64(st.Packets))
	for _, mode := range []EBPFMode{EBPFRequire, EBPFOff} {
		for _, rate := range rates {
			measureOnce(t, pcap, mode, rate, loops, st.Packets*loops, st.Packets*loops)
		}
	}
	// The same signaling with three noise packets (UDP, HTTP, ARP, IPv6 UDP)
	// after each: where the filter runs decides what user space pays.
	sig := readFrames(t, pcap)
	mixed := writePcap(t, interleave(sig, noise(t, 3*len(sig)), 3))
	t.Logf("mixed: %d signaling + %d noise packets", len(sig), 3*len(sig))
	for _, mode := range []EBPFMode{EBPFRequire, EBPFOff} {
		for _, rate := range []string{"100000", "max"} {
			measureOnce(t, mixed, mode, rate, 1, uint64(4*len(sig)), uint64(len(sig)))
		}
	}
}

var ratedRE = regexp.MustCompile(`Rated: [0-9.]+ Bps, [0-9.]+ Mbps, ([0-9.]+) pps`)

func measureOnce(t *testing.T, pcap string, mode EBPFMode, rate string, loops int, sent, want uint64) {
	tn := newTestNet(t)
	c := tn.open(t, Config{Workers: 2, EBPF: mode, BlockSize: DefaultBlockSize, NumBlocks: DefaultNumBlocks})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var sink [2]uint64
	errc := make(chan error, 1)
	go func() {
		errc <- c.Run(ctx, HandlerFunc(func(w int, p *Packet) {
			sink[w] += uint64(len(p.Data)) + uint64(p.Data[len(p.Data)-1]) // touch the frame
		}))
	}()
	time.Sleep(100 * time.Millisecond)
	if mode != EBPFOff {
		// Run-time accounting of BPF programs, system-wide while held.
		st, err := ebpf.EnableStats(uint32(unix.BPF_STATS_RUN_TIME))
		if err != nil {
			t.Logf("no BPF run-time statistics: %v", err)
		} else {
			defer st.Close()
		}
	}
	before := tn.rx(t)
	var ru0 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	args := []string{"netns", "exec", tn.NS, "tcpreplay", "-i", tn.Send, "--preload-pcap", "--loop=" + strconv.Itoa(loops)}
	if rate == "max" {
		args = append(args, "--topspeed")
	} else {
		args = append(args, "--pps="+rate)
	}
	out, err := exec.Command("ip", append(args, pcap)...).CombinedOutput()
	if err != nil {
		t.Fatalf("tcpreplay: %v\n%s", err, out)
	}
	for deadline := time.Now().Add(5 * time.Second); c.Stats().Received < want && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	var ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	after := tn.rx(t)
	s := c.Stats()
	achieved := "?"
	if m := ratedRE.FindSubmatch(out); m != nil {
		achieved = string(m[1])
	}
	cpu := time.Duration(ru1.Utime.Nano()+ru1.Stime.Nano()-ru0.Utime.Nano()-ru0.Stime.Nano()) * time.Nanosecond
	perPkt := time.Duration(0)
	if s.Received > 0 {
		perPkt = cpu / time.Duration(s.Received)
	}
	bpfCost := ""
	if c.filter != nil {
		fs, err1 := c.filter.Program().Stats()
		ps, err2 := c.fanout.Program().Stats()
		if err1 == nil && err2 == nil && fs.RunCount > 0 && ps.RunCount > 0 {
			bpfCost = fmt.Sprintf("; in the kernel: filter %v/run (%d runs), fanout %v/run (%d runs)",
				fs.Runtime/time.Duration(fs.RunCount), fs.RunCount, ps.Runtime/time.Duration(ps.RunCount), ps.RunCount)
		}
	}
	t.Logf("%s rate %s: achieved %s pps; received %d of %d; kernel drops %d, freezes %d; lost on veth before capture %d; user-space CPU %v = %v/received packet, %v/wire packet%s",
		s.Mode, rate, achieved, s.Received, want, s.KernelDrops, s.QueueFreezes,
		int64(sent)-int64(after.Packets-before.Packets)+int64(after.Dropped-before.Dropped), cpu.Round(time.Millisecond), perPkt,
		cpu/time.Duration(sent), bpfCost)
}
