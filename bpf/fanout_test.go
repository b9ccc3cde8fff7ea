package bpf

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

func TestFanoutDirectionIndependent(t *testing.T) {
	for _, workers := range []int{2, 3, 8} {
		f := loadOrSkip(t, func() (*Fanout, error) { return LoadFanout(workers) })
		defer f.Close()
		type pair struct {
			name     string
			fwd, rev []byte
		}
		m3 := func(sp, dp uint16) []byte { return sctp(sp, dp, dataChunk(3, m3uaData)) }
		pairs := []pair{
			{"IPv4", ether(0x0800, ipv4(132, v4A, v4B, 0, 0, m3(40000, 2905))), ether(0x0800, ipv4(132, v4B, v4A, 0, 0, m3(2905, 40000)))},
			{"IPv4 same ports", ether(0x0800, ipv4(132, v4A, v4B, 0, 0, m3(2905, 2905))), ether(0x0800, ipv4(132, v4B, v4A, 0, 0, m3(2905, 2905)))},
			{"IPv4 VLAN one way only", ether(0x0800, ipv4(132, v4A, v4B, 0, 0, m3(40000, 2905)), 0x8100), ether(0x0800, ipv4(132, v4B, v4A, 0, 0, m3(2905, 40000)))},
			{"IPv4 QinQ and SACK", ether(0x0800, ipv4(132, v4A, v4B, 0, 0, m3(40000, 2905)), 0x88a8, 0x8100), ether(0x0800, ipv4(132, v4B, v4A, 2, 0, sctp(2905, 40000, sackChunk())))},
			{"IPv6", ether(0x86dd, ipv6(132, v6A, v6B, m3(40000, 2905))), ether(0x86dd, ipv6(132, v6B, v6A, m3(2905, 40000)))},
		}
		for _, p := range pairs {
			a, b := run(t, f.Program(), p.fwd), run(t, f.Program(), p.rev)
			if a != b {
				t.Errorf("workers=%d %s: forward -> %d, reverse -> %d", workers, p.name, a, b)
			}
			if a >= uint32(workers) {
				t.Errorf("workers=%d %s: index %d out of range", workers, p.name, a)
			}
		}
		for _, c := range []frameCase{{"ARP", arp(), false}, {"TCP", httpGET(), false}, {"short", ether(0x0800, make([]byte, 20)), false}} {
			if got := run(t, f.Program(), c.data); got != 0 {
				t.Errorf("workers=%d %s: non-SCTP went to %d, want 0", workers, c.name, got)
			}
		}
	}
}

// TestFanoutSpread checks that random associations spread over the workers
// about evenly.
func TestFanoutSpread(t *testing.T) {
	const assocs = 600
	r := rand.New(rand.NewPCG(1, 2))
	for _, workers := range []int{2, 3} {
		f := loadOrSkip(t, func() (*Fanout, error) { return LoadFanout(workers) })
		defer f.Close()
		count := make([]int, workers)
		for range assocs {
			var a, b [4]byte
			binary.BigEndian.PutUint32(a[:], 0x0a000000|r.Uint32N(1<<16))
			binary.BigEndian.PutUint32(b[:], 0x0a010000|r.Uint32N(1<<16))
			sp := uint16(1024 + r.IntN(60000))
			count[run(t, f.Program(), ether(0x0800, ipv4(132, a, b, 0, 0, sctp(sp, 2905, sackChunk()))))]++
		}
		for w, n := range count {
			if n < assocs/workers*3/4 {
				t.Errorf("workers=%d: worker %d got %d of %d associations: %v", workers, w, n, assocs, count)
			}
		}
		t.Logf("workers=%d: %v", workers, count)
	}
}

func TestLoadFanoutNoWorkers(t *testing.T) {
	if _, err := LoadFanout(0); err == nil {
		t.Fatal("no error for zero workers")
	}
}

// mhPath is one address pair of a multi-homed association between A (port
// 40000) and B (port 2905); ta is the tag packets to A carry, tb to B.
type mhPath struct{ a, b [4]byte }

const mhTagA, mhTagB = 0x0a0a0a0a, 0x0b0b0b0b

func (p mhPath) toB(tag uint32, chunks ...[]byte) []byte {
	return ether(0x0800, ipv4(132, p.a, p.b, 0, 0, sctpTag(40000, 2905, tag, chunks...)))
}

func (p mhPath) toA(tag uint32, chunks ...[]byte) []byte {
	return ether(0x0800, ipv4(132, p.b, p.a, 0, 0, sctpTag(2905, 40000, tag, chunks...)))
}

// mhPaths returns a primary path and an alternate one that a hash of the
// addresses alone would put on another worker, so the test can tell.
func mhPaths(t *testing.T, workers int) (mhPath, mhPath) {
	probe := loadOrSkip(t, func() (*Fanout, error) { return LoadFanout(workers) })
	defer probe.Close()
	p1 := mhPath{[4]byte{10, 20, 0, 1}, [4]byte{10, 20, 0, 2}}
	w1 := run(t, probe.Program(), p1.toB(1, sackChunk()))
	for i := range 250 {
		p2 := mhPath{[4]byte{10, 30, byte(i), 1}, [4]byte{10, 30, byte(i), 2}}
		if run(t, probe.Program(), p2.toB(uint32(2+i), sackChunk())) != w1 {
			return p1, p2
		}
	}
	t.Fatal("no address pair hashes to another worker")
	return p1, p1
}

// TestFanoutMultiHomed runs the fanout program over the packets of a
// multi-homed association, with and without its INIT seen: every packet, on
// either path and in either direction, must go to the worker of the first.
func TestFanoutMultiHomed(t *testing.T) {
	data := dataChunk(3, m3uaData)
	for _, workers := range []int{2, 3, 8} {
		p1, p2 := mhPaths(t, workers)
		for _, tc := range []struct {
			name   string
			frames [][]byte
		}{
			{"with INIT", [][]byte{
				p1.toB(0, initTag(1, mhTagA)),
				p1.toA(mhTagA, initTag(2, mhTagB)),
				p2.toA(mhTagA, sackChunk(), data), // the responder's first DATA, on the alternate path
				p2.toB(mhTagB, data),
				p1.toB(mhTagB, data),
				p2.toB(mhTagB, data), // a retransmission over the alternate path
				p2.toA(mhTagB, abortT()),
			}},
			{"without INIT", [][]byte{
				p1.toB(mhTagB, data),
				p1.toA(mhTagA, sackChunk()),
				p2.toA(mhTagA, data),
				p2.toB(mhTagB, sackChunk(), data),
				p1.toB(mhTagB, data),
			}},
			{"directions first seen on different paths", [][]byte{
				p1.toB(mhTagB, data),
				p2.toA(mhTagA, data), // may go elsewhere: nothing ties it to the first yet
				p2.toB(mhTagB, data), // the first of A's on B's path: joins them
				p2.toA(mhTagA, data),
				p1.toA(mhTagA, sackChunk()),
				p1.toB(mhTagB, data),
			}},
			{"heartbeats first on the alternate path", [][]byte{
				p2.toB(mhTagB, []byte{4, 0, 0, 8, 0, 1, 0, 4}), // HEARTBEAT
				p2.toA(mhTagA, []byte{5, 0, 0, 8, 0, 1, 0, 4}), // HEARTBEAT ACK
				p1.toB(mhTagB, data),
				p1.toA(mhTagA, sackChunk(), data),
			}},
		} {
			f := loadOrSkip(t, func() (*Fanout, error) { return LoadFanout(workers) })
			want := run(t, f.Program(), tc.frames[0])
			for i, fr := range tc.frames[1:] {
				got := run(t, f.Program(), fr)
				if i == 0 && tc.name == "directions first seen on different paths" {
					continue
				}
				if got != want {
					t.Errorf("workers=%d %s: packet %d went to worker %d, the association's first to %d",
						workers, tc.name, i+2, got, want)
				}
			}
			f.Close()
		}
	}
}

// TestFanoutRestart: new tags on the same path are a new association, which
// may go elsewhere; the old tags keep their worker.
func TestFanoutNewTagsOnPath(t *testing.T) {
	f := loadOrSkip(t, func() (*Fanout, error) { return LoadFanout(8) })
	defer f.Close()
	p := mhPath{[4]byte{10, 40, 0, 1}, [4]byte{10, 40, 0, 2}}
	w := run(t, f.Program(), p.toB(mhTagB, dataChunk(3, m3uaData)))
	if got := run(t, f.Program(), p.toB(0, initTag(1, 0x0c0c0c0c))); got != w {
		t.Errorf("INIT on the path went to %d, the path's hash is %d", got, w)
	}
	if got := run(t, f.Program(), p.toA(0x0c0c0c0c, initTag(2, 0x0d0d0d0d))); got != w {
		t.Errorf("INIT ACK went to %d, want %d", got, w)
	}
}

// BenchmarkFanoutProgram measures the fanout program in the kernel
// (BPF_PROG_TEST_RUN, which adds its own per-run overhead) on a DATA packet
// of a known association and on a SACK whose tag is new each time.
func BenchmarkFanoutProgram(b *testing.B) {
	f, err := LoadFanout(4)
	if err != nil {
		b.Skipf("cannot load the fanout program: %v", err)
	}
	defer f.Close()
	p := mhPath{[4]byte{10, 50, 0, 1}, [4]byte{10, 50, 0, 2}}
	for _, bc := range []struct {
		name  string
		frame []byte
	}{
		{"known tag", p.toB(mhTagB, dataChunk(3, m3uaData))},
		{"INIT", p.toB(0, initTag(1, mhTagA))},
	} {
		b.Run(bc.name, func(b *testing.B) {
			_, d, err := f.Program().Benchmark(bc.frame, b.N, nil)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(d.Nanoseconds()), "ns/packet")
		})
	}
}
