package decode

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// replay is a packet mix that can be decoded over and over: before each
// pass every SCTP DATA chunk's TSN moves forward, so the stack sees new
// data rather than retransmissions, and the SCTP checksums are made right
// again.
type replay struct {
	pkts  []packet
	tsns  [][]int // per packet: offsets of TSN fields in data
	sums  []sctpSum
	bytes int64
}

// sctpSum locates one SCTP packet in the mix: its bytes are the spans in
// order (several when IPv4 fragmented it), the first starting at the common
// header.
type sctpSum struct{ spans []span }

type span struct{ pkt, from, to int }

func newReplay(t testing.TB, files []string) *replay {
	r := &replay{}
	for k, f := range files {
		var frag *sctpSum // an IPv4-fragmented SCTP packet being collected
		for _, p := range readCapture(t, f) {
			p.data = append([]byte(nil), p.data...)
			i := len(r.pkts)
			l := sctpLayout(p, i)
			switch {
			case !l.ok:
			case l.first:
				frag = &sctpSum{spans: []span{l.span}}
			case frag != nil:
				frag.spans = append(frag.spans, l.span)
			}
			if l.ok && !l.more && frag != nil {
				r.sums = append(r.sums, *frag)
				frag = nil
			}
			// Captures that reuse addresses and ports must not look like
			// one association: give each file its own TSN range.
			for _, o := range l.tsns {
				binary.BigEndian.PutUint32(p.data[o:], binary.BigEndian.Uint32(p.data[o:])+uint32(k)<<24)
			}
			r.pkts = append(r.pkts, p)
			r.tsns = append(r.tsns, l.tsns)
			r.bytes += int64(len(p.data))
		}
	}
	if len(r.pkts) == 0 {
		t.Skip("no packets for the mix")
	}
	r.fixChecksums()
	return r
}

// layout is where a packet's SCTP bytes are: span holds them (the SCTP
// packet, or for an IPv4 fragment its piece of it); first is set for an
// unfragmented packet or a first fragment, more when fragments follow;
// tsns are the offsets of the DATA chunks' TSN fields.
type layout struct {
	ok, first, more bool
	span            span
	tsns            []int
}

func sctpLayout(p packet, i int) layout {
	pkt := gopacket.NewPacket(p.data, p.lt, gopacket.NoCopy)
	var pl []byte
	l := layout{first: true}
	if ipl := pkt.Layer(layers.LayerTypeIPv4); ipl != nil {
		ip := ipl.(*layers.IPv4)
		if ip.Protocol != 132 {
			return layout{}
		}
		l.more = ip.Flags&layers.IPv4MoreFragments != 0
		l.first = ip.FragOffset == 0
		pl = ip.Payload
	} else if ipl := pkt.Layer(layers.LayerTypeIPv6); ipl != nil {
		pl = ipl.(*layers.IPv6).Payload
	}
	if len(pl) == 0 || l.first && len(pl) < 12 {
		return layout{}
	}
	base := bytes.Index(p.data, pl)
	l.ok, l.span = true, span{i, base, base + len(pl)}
	if !l.first {
		return l
	}
	for o := 12; o+16 <= len(pl); {
		n := int(binary.BigEndian.Uint16(pl[o+2:]))
		if n < 4 {
			break
		}
		if pl[o] == 0 {
			l.tsns = append(l.tsns, base+o+4)
		}
		o += (n + 3) &^ 3
	}
	return l
}

var zeroSum [4]byte

// fixChecksums rewrites every SCTP checksum after the TSNs moved.
func (r *replay) fixChecksums() {
	tab := crc32.MakeTable(crc32.Castagnoli)
	for _, s := range r.sums {
		first := s.spans[0]
		h := r.pkts[first.pkt].data[first.from:first.to]
		c := crc32.Update(0, tab, h[:8])
		c = crc32.Update(c, tab, zeroSum[:])
		c = crc32.Update(c, tab, h[12:])
		for _, sp := range s.spans[1:] {
			c = crc32.Update(c, tab, r.pkts[sp.pkt].data[sp.from:sp.to])
		}
		binary.LittleEndian.PutUint32(h[8:], c)
	}
}

// bump moves every TSN forward by d.
func (r *replay) bump(d uint32) {
	for i, offs := range r.tsns {
		b := r.pkts[i].data
		for _, o := range offs {
			binary.BigEndian.PutUint32(b[o:], binary.BigEndian.Uint32(b[o:])+d)
		}
	}
	r.fixChecksums()
}

// pass decodes the whole mix once and returns the number of messages.
func (r *replay) pass(s *Stack, msgs []Message) ([]Message, int) {
	n := 0
	for i := range r.pkts {
		p := &r.pkts[i]
		msgs, _ = s.Decode(msgs[:0], p.lt, uint64(i+1), p.ts, p.data)
		n += len(msgs)
	}
	return msgs, n
}

func mixFiles(t testing.TB) []string {
	var files []string
	for _, f := range fixtureFiles() {
		// The replay rewrites every SCTP checksum, which would repair the
		// deliberately broken ones of this fixture.
		if filepath.Base(f) != "checksums.pcap" {
			files = append(files, f)
		}
	}
	if dir := filepath.Join(moduleRoot(t), "..", "shared", "captures"); dir != "" {
		more, _ := filepath.Glob(filepath.Join(dir, "*.pcap"))
		files = append(files, more...)
	}
	return files
}

// TestDecodeZeroAlloc asserts that steady-state decoding, reassembly
// included, allocates nothing once the buffers are warm.
func TestDecodeZeroAlloc(t *testing.T) {
	r := newReplay(t, append(mixFiles(t), simCapture(t, 3, 20)))
	s := NewStack()
	msgs := make([]Message, 0, 64)
	msgs, n := r.pass(s, msgs) // warm-up: maps, reassembly buffers
	if n == 0 {
		t.Fatal("mix decodes to no messages")
	}
	retrans := s.Stats.Retransmissions // the fixtures' deliberate repeats
	allocs := testing.AllocsPerRun(20, func() {
		r.bump(1 << 12)
		msgs, _ = r.pass(s, msgs)
	})
	if allocs != 0 {
		t.Fatalf("steady-state decode allocates: %v allocs per pass of %d packets", allocs, len(r.pkts))
	}
	before := s.Stats.Retransmissions
	r.bump(1 << 12)
	_, n2 := r.pass(s, msgs)
	if got := s.Stats.Retransmissions - before; got != retrans || n2 != n {
		t.Fatalf("replayed pass: %d messages, %d retransmissions; first pass %d, %d", n2, got, n, retrans)
	}
	if s.Stats.BadChecksums != 0 {
		t.Fatalf("%d packets of the mix failed their checksum: the replay must keep them right", s.Stats.BadChecksums)
	}
}

// BenchmarkDecode decodes a realistic simulated mix (one day of a town from
// the simulator) in a loop on one core and reports messages per second.
//
// msgs/s is wall-clock. On a shared machine it also reports msgs/cpu-s: the
// messages per second of CPU time the benchmark thread itself got
// (RUSAGE_THREAD), which other load does not distort.
//
// It verifies checksums, as production does; BenchmarkDecodeNoVerify is the
// same without, so the difference is what the checks cost per packet.
func BenchmarkDecode(b *testing.B) { benchDecode(b, true) }

// BenchmarkDecodeNoVerify is BenchmarkDecode with Stack.VerifyChecksum off.
func BenchmarkDecodeNoVerify(b *testing.B) { benchDecode(b, false) }

func benchDecode(b *testing.B, verify bool) {
	r := newReplay(b, []string{simCapture(b, 1, 100)})
	s := NewStack()
	s.VerifyChecksum = verify
	msgs := make([]Message, 0, 64)
	msgs, _ = r.pass(s, msgs)
	b.SetBytes(r.bytes / int64(len(r.pkts)))
	b.ReportAllocs()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	total := 0
	cpu0 := threadCPU()
	defer func() {
		if c := threadCPU() - cpu0; c > 0 {
			b.ReportMetric(float64(total)/c.Seconds(), "msgs/cpu-s")
		}
	}()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := i % len(r.pkts)
		if k == 0 { // a new pass: move TSNs on (not part of the measurement)
			b.StopTimer()
			c := threadCPU()
			r.bump(1 << 12)
			cpu0 += threadCPU() - c
			b.StartTimer()
		}
		p := &r.pkts[k]
		msgs, _ = s.Decode(msgs[:0], p.lt, uint64(k+1), p.ts, p.data)
		total += len(msgs)
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "msgs/s")
}

// threadCPU returns the CPU time used by the calling OS thread.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkDecodeCaptures decodes the fixtures and shared captures, where
// many packets are SCTP control or M2PA link status.
func BenchmarkDecodeCaptures(b *testing.B) {
	r := newReplay(b, mixFiles(b))
	s := NewStack()
	msgs := make([]Message, 0, 64)
	msgs, _ = r.pass(s, msgs)
	b.SetBytes(r.bytes / int64(len(r.pkts)))
	b.ReportAllocs()
	b.ResetTimer()
	total := 0
	for i := 0; i < b.N; i++ {
		k := i % len(r.pkts)
		if k == 0 { // a new pass: move TSNs on (not part of the measurement)
			b.StopTimer()
			r.bump(1 << 12)
			b.StartTimer()
		}
		p := &r.pkts[k]
		msgs, _ = s.Decode(msgs[:0], p.lt, uint64(k+1), p.ts, p.data)
		total += len(msgs)
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkAppendJSON measures rendering one message.
func BenchmarkAppendJSON(b *testing.B) {
	msgs, _ := decodeFile(b, filepath.Join(sharedCaptures(b), "pycrate-bssap.pcap"))
	line := make([]byte, 0, 1024)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		line = AppendJSON(line[:0], &msgs[i%len(msgs)])
	}
}
