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
