package capture

import (
	"context"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/sigprobe/sigprobe/probe/capture/nettest"
	"github.com/sigprobe/sigprobe/sim"
	"github.com/sigprobe/sigprobe/sim/scenario"
)

func needRoot(t testing.TB, tools ...string) { nettest.NeedRoot(t, tools...) }

type testNet struct{ *nettest.Net }

func newTestNet(t testing.TB) *testNet { return &testNet{nettest.New(t)} }

func (tn *testNet) in(t testing.TB, f func())                        { tn.In(t, f) }
func (tn *testNet) replay(t testing.TB, pcap string, opts ...string) { tn.Replay(t, pcap, opts...) }

// open opens a capture on tn.Cap and closes it at cleanup.
func (tn *testNet) open(t testing.TB, cfg Config) *Capture {
	t.Helper()
	cfg.Interfaces = []string{tn.Cap}
	if cfg.BlockSize == 0 {
		cfg.BlockSize = 256 << 10 // 64 blocks: 16 MiB, 3.2 s at low rates
		cfg.NumBlocks = 64
	}
	var c *Capture
	var err error
	tn.in(t, func() { c, err = Open(cfg) })
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

type rxCounters = nettest.RX

func (tn *testNet) rx(t testing.TB) rxCounters { return tn.RX(t) }

func retry(t *testing.T, body func(t *testing.T, try int) (lostBefore bool)) { nettest.Retry(t, body) }

func lostBefore(before, after rxCounters, sent int) bool {
	return nettest.LostBefore(before, after, sent)
}

type seen struct {
	hash   uint64
	worker int
}

func frameHash(b []byte) uint64 {
	h := fnv.New64a()
	h.Write(b)
	return h.Sum64()
}

// capture runs c while send runs, until want packets arrived,
// and returns what each worker saw.
func capture(t testing.TB, c *Capture, want uint64, send func()) []seen {
	t.Helper()
	per := make([][]seen, c.Workers())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		errc <- c.Run(ctx, HandlerFunc(func(w int, p *Packet) {
			per[w] = append(per[w], seen{frameHash(p.Data), w})
		}))
	}()
	send()
	// Wait for want packets, giving up after 15 s or 2 s without progress.
	deadline := time.Now().Add(15 * time.Second)
	last, lastChange := uint64(0), time.Now()
	for n := c.Stats().Received; n < want && time.Now().Before(deadline) && time.Since(lastChange) < 2*time.Second; n = c.Stats().Received {
		if n != last {
			last, lastChange = n, time.Now()
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // anything beyond want would show up now
	cancel()
	if err := <-errc; err != nil {
		t.Fatalf("Run: %v", err)
	}
	var all []seen
	for _, s := range per {
		all = append(all, s...)
	}
	return all
}

// frame is a packet of a test pcap with the association it belongs to.
type frame struct {
	data  []byte
	assoc string // "" for noise
}

var (
	simOnce   atomic.Pointer[string]
	simFrames []frame
)

// signaling returns the first n frames of a small simulator capture.
func signaling(t testing.TB, n int) []frame {
	t.Helper()
	if simOnce.Load() == nil {
		dir, err := os.MkdirTemp("", "spcap-sim")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(dir)
		sc, err := scenario.Load("")
		if err != nil {
			t.Fatal(err)
		}
		pcap := filepath.Join(dir, "sim.pcap")
		cfg := sim.Config{Seed: 1, Subscribers: 50, Days: 1, Start: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC),
			Scenario: sc, PCAP: pcap, TruthDir: filepath.Join(dir, "truth")}
		if _, err := sim.Run(cfg); err != nil {
			t.Fatal(err)
		}
		simFrames = readFrames(t, pcap)
		simOnce.Store(&pcap)
	}
	if n > len(simFrames) {
		n = len(simFrames)
	}
	return simFrames[:n]
}

func readFrames(t testing.TB, path string) []frame {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var out []frame
	for {
		data, _, err := r.ReadPacketData()
		if err != nil {
			break
		}
		out = append(out, frame{data: data, assoc: assocOf(data)})
	}
	return out
}

// assocOf names the SCTP association of a frame the same way for both
// directions, or "" if it is not SCTP.
func assocOf(data []byte) string {
	p := gopacket.NewPacket(data, layers.LinkTypeEthernet, gopacket.NoCopy)
	s, ok := p.Layer(layers.LayerTypeSCTP).(*layers.SCTP)
	if !ok || p.NetworkLayer() == nil {
		return ""
	}
	src, dst := p.NetworkLayer().NetworkFlow().Endpoints()
	a := fmt.Sprintf("%s:%d", src, s.SrcPort)
	b := fmt.Sprintf("%s:%d", dst, s.DstPort)
	if a > b {
		a, b = b, a
	}
	return a + "-" + b
}

// noise returns n frames of non-signaling traffic: UDP (IPv4 and IPv6),
// HTTP over TCP and ARP.
func noise(t testing.TB, n int) []frame {
	t.Helper()
	eth := func(typ layers.EthernetType) *layers.Ethernet {
		return &layers.Ethernet{SrcMAC: []byte{2, 0, 0, 0, 1, 1}, DstMAC: []byte{2, 0, 0, 0, 1, 2}, EthernetType: typ}
	}
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	out := make([]frame, 0, n)
	for i := range n {
		buf := gopacket.NewSerializeBuffer()
		ip4 := &layers.IPv4{Version: 4, TTL: 64, SrcIP: []byte{10, 9, byte(i >> 8), byte(i)}, DstIP: []byte{10, 8, 0, 1}}
		var err error
		switch i % 4 {
		case 0:
			ip4.Protocol = layers.IPProtocolUDP
			udp := &layers.UDP{SrcPort: layers.UDPPort(30000 + i%1000), DstPort: 53}
			udp.SetNetworkLayerForChecksum(ip4)
			err = gopacket.SerializeLayers(buf, opts, eth(layers.EthernetTypeIPv4), ip4, udp, gopacket.Payload("dns query payload"))
		case 1:
			ip4.Protocol = layers.IPProtocolTCP
			tcp := &layers.TCP{SrcPort: layers.TCPPort(40000 + i%1000), DstPort: 80, Seq: uint32(i), PSH: true, ACK: true, Window: 65535}
			tcp.SetNetworkLayerForChecksum(ip4)
			err = gopacket.SerializeLayers(buf, opts, eth(layers.EthernetTypeIPv4), ip4, tcp, gopacket.Payload("GET /index.html HTTP/1.1\r\nHost: example.test\r\n\r\n"))
		case 2:
			arp := &layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
				Operation: layers.ARPRequest, SourceHwAddress: []byte{2, 0, 0, 0, 1, 1}, SourceProtAddress: []byte{10, 9, 0, 1},
				DstHwAddress: []byte{0, 0, 0, 0, 0, 0}, DstProtAddress: []byte{10, 9, byte(i >> 8), byte(i)}}
			err = gopacket.SerializeLayers(buf, opts, eth(layers.EthernetTypeARP), arp)
		case 3:
			ip6 := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolUDP,
				SrcIP: []byte{0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, byte(i >> 8), byte(i)}, DstIP: []byte{0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}}
			udp := &layers.UDP{SrcPort: 2905, DstPort: 2905} // the M3UA port, but UDP
			udp.SetNetworkLayerForChecksum(ip6)
			err = gopacket.SerializeLayers(buf, opts, eth(layers.EthernetTypeIPv6), ip6, udp, gopacket.Payload("not sctp"))
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, frame{data: append([]byte(nil), buf.Bytes()...)})
	}
	return out
}

// interleave puts every(th) noise frame after each signaling frame.
func interleave(sig, nz []frame, every int) []frame {
	out := make([]frame, 0, len(sig)+len(nz))
	j := 0
	for _, f := range sig {
		out = append(out, f)
		for k := 0; k < every && j < len(nz); k++ {
			out = append(out, nz[j])
			j++
		}
	}
	return append(out, nz[j:]...)
}

func writePcap(t testing.TB, frames []frame) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "replay.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := pcapgo.NewWriterNanos(f)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	ts := time.Unix(1_800_000_000, 0)
	for i, fr := range frames {
		ci := gopacket.CaptureInfo{Timestamp: ts.Add(time.Duration(i) * time.Millisecond), CaptureLength: len(fr.data), Length: len(fr.data)}
		if err := w.WritePacket(ci, fr.data); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

// multiset counts frames by content hash.
func multiset(frames []frame) map[uint64]int {
	m := make(map[uint64]int, len(frames))
	for _, f := range frames {
		m[frameHash(f.data)]++
	}
	return m
}
