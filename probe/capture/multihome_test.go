package capture

import (
	"encoding/binary"
	"fmt"
	"testing"
)

// multiHome moves the traffic of every association onto two paths, as a
// multi-homed association sends it: once both directions have been seen on
// the primary path, every other packet of the association goes over an
// alternate address pair (second octet of both addresses flipped). The
// association labels stay. SCTP checksums do not cover addresses; the IPv4
// header checksum is redone.
func multiHome(frames []frame) []frame {
	out := make([]frame, len(frames))
	type state struct {
		dirs map[string]bool
		n    int
	}
	seen := map[string]*state{}
	for i, f := range frames {
		out[i] = f
		if f.assoc == "" {
			continue
		}
		ip := 14
		if binary.BigEndian.Uint16(f.data[12:]) == 0x8100 {
			ip = 18
		}
		if binary.BigEndian.Uint16(f.data[ip-2:]) != 0x0800 {
			continue
		}
		st := seen[f.assoc]
		if st == nil {
			st = &state{dirs: map[string]bool{}}
			seen[f.assoc] = st
		}
		src := fmt.Sprint(f.data[ip+12 : ip+16])
		if len(st.dirs) < 2 {
			st.dirs[src] = true
			continue
		}
		st.n++
		if st.n%2 == 0 {
			continue
		}
		b := append([]byte(nil), f.data...)
		b[ip+13] ^= 0x80
		b[ip+17] ^= 0x80
		b[ip+10], b[ip+11] = 0, 0
		var sum uint32
		for k := 0; k < 20; k += 2 {
			sum += uint32(binary.BigEndian.Uint16(b[ip+k:]))
		}
		for sum > 0xffff {
			sum = sum&0xffff + sum>>16
		}
		binary.BigEndian.PutUint16(b[ip+10:], ^uint16(sum))
		out[i].data = b
	}
	return out
}

// TestFanoutMultiHomed replays associations that use two address pairs each
// into the capture: in eBPF mode (tags learned in sctp_fanout) and hash
// mode (bpf.PortFanout) all packets of an association, on both paths and
// in both directions, must reach one worker.
func TestFanoutMultiHomed(t *testing.T) {
	needRoot(t, "tcpreplay")
	sig := multiHome(signaling(t, 6000))
	pcap := writePcap(t, sig)
	assoc := map[uint64]string{}
	for _, f := range sig {
		assoc[frameHash(f.data)] = f.assoc
	}
	for _, tc := range []struct {
		name    string
		workers int
		mode    EBPFMode
	}{{"ebpf/3", 3, EBPFRequire}, {"hash/3", 3, EBPFOff}} {
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
				for _, s := range got {
					a := assoc[s.hash]
					if workersOf[a] == nil {
						workersOf[a] = map[int]int{}
					}
					workersOf[a][s.worker]++
				}
				for a, ws := range workersOf {
					if len(ws) > 1 {
						t.Errorf("association %s spread over workers %v", a, ws)
					}
				}
				t.Logf("%d associations on two paths each, mode %s", len(workersOf), c.Mode())
				return false
			})
		})
	}
}
