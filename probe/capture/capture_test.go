package capture

import (
	"github.com/sigprobe/sigprobe/probe/capture/nettest"

	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

func TestOpenMissingInterface(t *testing.T) {
	_, err := Open(Config{Interfaces: []string{"sigprobe-nonesuch0"}})
	if !errors.Is(err, ErrNoInterface) {
		t.Fatalf("err = %v, want ErrNoInterface", err)
	}
	for _, want := range []string{"sigprobe-nonesuch0", "ip link"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestOpenBadConfig(t *testing.T) {
	if _, err := Open(Config{}); err == nil {
		t.Error("no error without interfaces")
	}
	if _, err := Open(Config{Interfaces: []string{"lo"}, BlockSize: 1000}); err == nil || !strings.Contains(err.Error(), "page size") {
		t.Errorf("block size 1000: err = %v", err)
	}
}

// TestReplaySignaling replays simulator output at a moderate rate: every
// packet arrives, none is dropped, each exactly as sent.
func TestReplaySignaling(t *testing.T) {
	needRoot(t, "tcpreplay")
	for _, mode := range []EBPFMode{EBPFRequire, EBPFOff} {
		name := map[EBPFMode]string{EBPFRequire: "ebpf", EBPFOff: "hash"}[mode]
		t.Run(name, func(t *testing.T) {
			sig := signaling(t, 3000)
			pcap := writePcap(t, sig)
			retry(t, func(t *testing.T, try int) bool {
				tn := newTestNet(t)
				c := tn.open(t, Config{Workers: 2, EBPF: mode})
				if got := string(c.Mode()); got != name {
					t.Fatalf("mode %s, want %s", got, name)
				}
				before := tn.rx(t)
				got := capture(t, c, uint64(len(sig)), func() { tn.replay(t, pcap, fmt.Sprintf("--pps=%d", 5000>>try)) })
				if lostBefore(before, tn.rx(t), len(sig)) {
					return true
				}
				checkReplay(t, c, got, sig)
				return false
			})
		})
	}
}

func checkReplay(t *testing.T, c *Capture, got []seen, sig []frame) {
	st := c.Stats()
	t.Log(st)
	if len(got) != len(sig) || st.Received != uint64(len(sig)) {
		t.Errorf("received %d (stats %d), sent %d", len(got), st.Received, len(sig))
	}
	if st.KernelDrops != 0 || st.QueueFreezes != 0 {
		t.Errorf("kernel drops %d, queue freezes %d", st.KernelDrops, st.QueueFreezes)
	}
	if st.KernelPackets != uint64(len(sig)) {
		t.Errorf("kernel packets %d, want %d", st.KernelPackets, len(sig))
	}
	checkSameFrames(t, got, sig)
}

func checkSameFrames(t *testing.T, got []seen, want []frame) {
	t.Helper()
	g := map[uint64]int{}
	for _, s := range got {
		g[s.hash]++
	}
	w := multiset(want)
	if !maps.Equal(g, w) {
		missing, extra := 0, 0
		for h, n := range w {
			if g[h] < n {
				missing += n - g[h]
			}
		}
		for h, n := range g {
			if w[h] < n {
				extra += n - w[h]
			}
		}
		t.Errorf("received frames differ from the signaling sent: %d missing, %d unexpected", missing, extra)
	}
}

// TestFilterDropsNoise mixes signaling with three times as much UDP, HTTP
// and ARP: the filter drops exactly the noise (in the kernel with eBPF) and
// the handler gets exactly the signaling frames.
func TestFilterDropsNoise(t *testing.T) {
	needRoot(t, "tcpreplay")
	for _, mode := range []EBPFMode{EBPFRequire, EBPFOff} {
		name := map[EBPFMode]string{EBPFRequire: "ebpf", EBPFOff: "hash"}[mode]
		t.Run(name, func(t *testing.T) {
			sig := signaling(t, 2000)
			nz := noise(t, 6000)
			pcap := writePcap(t, interleave(sig, nz, 3))
			retry(t, func(t *testing.T, try int) bool {
				tn := newTestNet(t)
				c := tn.open(t, Config{Workers: 2, EBPF: mode})
				before := tn.rx(t)
				got := capture(t, c, uint64(len(sig)), func() { tn.replay(t, pcap, fmt.Sprintf("--pps=%d", 10000>>try)) })
				if lostBefore(before, tn.rx(t), len(sig)+len(nz)) {
					return true
				}
				st := c.Stats()
				t.Log(st)
				if st.FilterPassed != uint64(len(sig)) || st.FilterDropped != uint64(len(nz)) {
					t.Errorf("filter passed %d dropped %d, want %d and %d", st.FilterPassed, st.FilterDropped, len(sig), len(nz))
				}
				wantKernel := uint64(len(sig))
				if mode == EBPFOff {
					wantKernel += uint64(len(nz)) // no kernel filter: noise reaches the ring
				}
				if st.KernelPackets != wantKernel || st.KernelDrops != 0 {
					t.Errorf("kernel packets %d drops %d, want %d and 0", st.KernelPackets, st.KernelDrops, wantKernel)
				}
				checkSameFrames(t, got, sig)
				return false
			})
		})
	}
}

// TestFanoutByAssociation checks that every packet of an SCTP association,
// both directions, reaches one worker, and that with eBPF fanout all workers
// get traffic. Hash mode fans out by port pair, so the simulator's
// associations, all between ports 2905, share one worker there.
func TestFanoutByAssociation(t *testing.T) {
	needRoot(t, "tcpreplay")
	sig := signaling(t, 6000)
	pcap := writePcap(t, sig)
	assoc := map[uint64]string{}
	for _, f := range sig {
		assoc[frameHash(f.data)] = f.assoc
	}
	for _, tc := range []struct {
		name    string
		workers int
		mode    EBPFMode
	}{{"ebpf/2", 2, EBPFRequire}, {"ebpf/3", 3, EBPFRequire}, {"hash/2", 2, EBPFOff}, {"hash/3", 3, EBPFOff}} {
		t.Run(tc.name, func(t *testing.T) {
			retry(t, func(t *testing.T, try int) bool {
				tn := newTestNet(t)
				c := tn.open(t, Config{Workers: tc.workers, EBPF: tc.mode})
				before := tn.rx(t)
				got := capture(t, c, uint64(len(sig)), func() { tn.replay(t, pcap, fmt.Sprintf("--pps=%d", 10000>>try)) })
				if lostBefore(before, tn.rx(t), len(sig)) {
					return true
				}
				if len(got) != len(sig) {
					t.Fatalf("received %d of %d; %v", len(got), len(sig), c.Stats())
				}
				workersOf := map[string]map[int]int{}
				perWorker := make([]int, tc.workers)
				for _, s := range got {
					a := assoc[s.hash]
					if workersOf[a] == nil {
						workersOf[a] = map[int]int{}
					}
					workersOf[a][s.worker]++
					perWorker[s.worker]++
				}
				split := 0
				for a, ws := range workersOf {
					if len(ws) > 1 {
						split++
						t.Errorf("association %s spread over workers %v", a, ws)
					}
				}
				t.Logf("%d associations, %d split over workers; packets per worker %v", len(workersOf), split, perWorker)
				for w, n := range perWorker {
					if n == 0 && tc.mode != EBPFOff {
						t.Errorf("worker %d got no packets: %v", w, perWorker)
					}
				}
				return false
			})
		})
	}
}

// TestCloseStopsRun: Close ends a running Run, Stats still answers after
// Close, and a closed capture does not run again.
func TestCloseStopsRun(t *testing.T) {
	needRoot(t)
	tn := newTestNet(t)
	c := tn.open(t, Config{Workers: 2})
	errc := make(chan error, 1)
	go func() { errc <- c.Run(context.Background(), HandlerFunc(func(int, *Packet) {})) }()
	time.Sleep(100 * time.Millisecond)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run still running 5 s after Close")
	}
	if st := c.Stats(); st.Mode != c.Mode() || len(st.Sockets) != 2 {
		t.Errorf("Stats after Close: %+v", st)
	}
	if err := c.Run(context.Background(), HandlerFunc(func(int, *Packet) {})); err == nil {
		t.Error("Run after Close: no error")
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestTwoCapturesOneInterface: two Captures on one interface are separate
// fanout groups and each gets every packet.
func TestTwoCapturesOneInterface(t *testing.T) {
	needRoot(t, "tcpreplay")
	sig := signaling(t, 500)
	pcap := writePcap(t, sig)
	retry(t, func(t *testing.T, try int) bool {
		tn := newTestNet(t)
		a := tn.open(t, Config{Workers: 2})
		b := tn.open(t, Config{Workers: 2})
		before := tn.rx(t)
		var gotB []seen
		done := make(chan struct{})
		go func() {
			defer close(done)
			gotB = capture(t, b, uint64(len(sig)), func() {})
		}()
		gotA := capture(t, a, uint64(len(sig)), func() { tn.replay(t, pcap, fmt.Sprintf("--pps=%d", 5000>>try)) })
		<-done
		if lostBefore(before, tn.rx(t), len(sig)) {
			return true
		}
		checkSameFrames(t, gotA, sig)
		checkSameFrames(t, gotB, sig)
		return false
	})
}

// TestTapSplitDirections mimics a passive tap that puts each direction of a
// link on its own port: frames from the lower address go to one interface,
// the rest to another. With eBPF fanout both directions of an association
// still reach the same worker, because worker w reads socket w of both
// interfaces and both groups run the same program.
func TestTapSplitDirections(t *testing.T) {
	needRoot(t, "tcpreplay")
	sig := signaling(t, 4000)
	var fwd, rev []frame
	for _, f := range sig {
		if isForward(f.data) {
			fwd = append(fwd, f)
		} else {
			rev = append(rev, f)
		}
	}
	if len(fwd) == 0 || len(rev) == 0 {
		t.Fatalf("directions: %d forward, %d reverse", len(fwd), len(rev))
	}
	pf, pr := writePcap(t, fwd), writePcap(t, rev)
	assoc := map[uint64]string{}
	for _, f := range sig {
		assoc[frameHash(f.data)] = f.assoc
	}
	retry(t, func(t *testing.T, try int) bool {
		tn := newTestNet(t)
		cap2, send2 := tn.Cap+"b", tn.Send+"b"
		nettest.Sh(t, "ip", "-n", tn.NS, "link", "add", cap2, "mtu", "9000", "type", "veth", "peer", "name", send2, "mtu", "9000")
		nettest.Sh(t, "ip", "-n", tn.NS, "link", "set", cap2, "up")
		nettest.Sh(t, "ip", "-n", tn.NS, "link", "set", send2, "up")
		var c *Capture
		var err error
		tn.in(t, func() {
			c, err = Open(Config{Interfaces: []string{tn.Cap, cap2}, Workers: 3, BlockSize: 256 << 10, NumBlocks: 64, EBPF: EBPFRequire})
		})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		before := tn.rx(t)
		got := capture(t, c, uint64(len(sig)), func() {
			done := make(chan struct{})
			go func() {
				defer close(done)
				out, err := exec.Command("ip", "netns", "exec", tn.NS, "tcpreplay", "-q", "-i", send2, fmt.Sprintf("--pps=%d", 4000>>try), pr).CombinedOutput()
				if err != nil {
					t.Errorf("tcpreplay on %s: %v\n%s", send2, err, out)
				}
			}()
			tn.replay(t, pf, fmt.Sprintf("--pps=%d", 4000>>try))
			<-done
		})
		if after := tn.rx(t); after.Dropped != before.Dropped {
			return true
		}
		if len(got) != len(sig) {
			t.Fatalf("received %d of %d; %v", len(got), len(sig), c.Stats())
		}
		checkSameFrames(t, got, sig)
		workersOf := map[string]map[int]bool{}
		for _, s := range got {
			a := assoc[s.hash]
			if workersOf[a] == nil {
				workersOf[a] = map[int]bool{}
			}
			workersOf[a][s.worker] = true
		}
		for a, ws := range workersOf {
			if len(ws) > 1 {
				t.Errorf("association %s spread over workers %v", a, ws)
			}
		}
		t.Logf("%d associations over 2 interfaces and 3 workers; %v", len(workersOf), c.Stats())
		return false
	})
}

// isForward reports whether the frame's IPv4 source address sorts before
// its destination (non-IPv4 counts as forward).
func isForward(data []byte) bool {
	p := gopacket.NewPacket(data, layers.LinkTypeEthernet, gopacket.NoCopy)
	ip, ok := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
	return !ok || bytes.Compare(ip.SrcIP, ip.DstIP) < 0
}
