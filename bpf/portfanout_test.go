package bpf

import (
	"math/rand/v2"
	"testing"

	cbpf "golang.org/x/net/bpf"
)

var vms = map[uint16]*cbpf.VM{}

// vmPortFanout runs the port fanout in x/net/bpf's VM on a packet from its
// network header, with the ethertype the kernel would read at MAC+12. The
// VM caps a program's result at the packet's length (it is a snapshot
// length to it), so the program's hash is masked to 16 bits and the packet
// padded to 64 KiB.
func vmPortFanout(t *testing.T, ethertype uint16, net []byte) uint32 {
	t.Helper()
	vm := vms[ethertype]
	if vm == nil {
		prog, err := portFanout(cbpf.LoadConstant{Dst: cbpf.RegA, Val: uint32(ethertype)}, 0xffff)
		if err != nil {
			t.Fatal(err)
		}
		raw := make([]cbpf.RawInstruction, len(prog))
		for i, f := range prog {
			raw[i] = cbpf.RawInstruction{Op: f.Code, Jt: f.Jt, Jf: f.Jf, K: f.K}
		}
		ins, ok := cbpf.Disassemble(raw)
		if !ok {
			t.Fatal("the port fanout does not disassemble")
		}
		if vm, err = cbpf.NewVM(ins); err != nil {
			t.Fatal(err)
		}
		vms[ethertype] = vm
	}
	pkt := append(append(make([]byte, 0, len(net)+1<<16), net...), make([]byte, 1<<16)...)
	n, err := vm.Run(pkt)
	if err != nil {
		t.Fatal(err)
	}
	if n >= 1<<16 {
		t.Fatalf("result %d beyond the 16-bit mask", n)
	}
	return uint32(n)
}

func TestPortFanout(t *testing.T) {
	if _, err := PortFanout(); err != nil {
		t.Fatal(err)
	}
	a1, b1 := [4]byte{10, 1, 0, 1}, [4]byte{10, 1, 0, 2}
	a2, b2 := [4]byte{10, 9, 0, 1}, [4]byte{10, 9, 0, 2}
	data := dataChunk(3, m3uaData)
	fwd := vmPortFanout(t, 0x0800, ipv4(132, a1, b1, 0, 0, sctp(40000, 2905, data)))
	if fwd == 0 {
		t.Fatal("an SCTP packet hashes to 0")
	}
	vlanTag := []byte{0x00, 0x64, 0x08, 0x00}
	for _, c := range []struct {
		name      string
		ethertype uint16
		net       []byte
		want      uint32 // 0: must differ from fwd unless noted
		same      bool
	}{
		{"reverse direction", 0x0800, ipv4(132, b1, a1, 0, 0, sctp(2905, 40000, sackChunk())), 0, true},
		{"alternate path", 0x0800, ipv4(132, a2, b2, 0, 0, sctp(40000, 2905, data)), 0, true},
		{"alternate path reversed", 0x0800, ipv4(132, b2, a2, 0, 0, sctp(2905, 40000, data)), 0, true},
		{"IPv4 options", 0x0800, ipv4(132, a1, b1, 3, 0, sctp(40000, 2905, data)), 0, true},
		{"VLAN tag left in the frame", 0x8100, append(vlanTag, ipv4(132, a1, b1, 0, 0, sctp(40000, 2905, data))...), 0, true},
		{"IPv6", 0x86dd, ipv6(132, v6A, v6B, sctp(2905, 40000, data)), 0, true},
		{"other ports", 0x0800, ipv4(132, a1, b1, 0, 0, sctp(40001, 2905, data)), 0, false},
		{"UDP", 0x0800, ipv4(17, a1, b1, 0, 0, udp(40000, 2905, m3uaData)), 0, false},
		{"IPv6 UDP", 0x86dd, ipv6(17, v6A, v6B, udp(40000, 2905, m3uaData)), 0, false},
		{"later IPv4 fragment", 0x0800, ipv4(132, a1, b1, 0, 0x00b9, []byte{1, 2, 3, 4, 5, 6, 7, 8}), 0, false},
		{"ARP", 0x0806, arp()[14:], 0, false},
	} {
		got := vmPortFanout(t, c.ethertype, c.net)
		switch {
		case c.same && got != fwd:
			t.Errorf("%s: %#x, the association's first packet %#x", c.name, got, fwd)
		case !c.same && got == fwd:
			t.Errorf("%s: %#x, the same as the association", c.name, got)
		}
	}
	for _, c := range []struct {
		name      string
		ethertype uint16
		net       []byte
	}{
		{"UDP", 0x0800, ipv4(17, a1, b1, 0, 0, udp(40000, 2905, m3uaData))},
		{"later IPv4 fragment", 0x0800, ipv4(132, a1, b1, 0, 0x00b9, []byte{1, 2, 3, 4, 5, 6, 7, 8})},
		{"ARP", 0x0806, arp()[14:]},
	} {
		if got := vmPortFanout(t, c.ethertype, c.net); got != 0 {
			t.Errorf("%s: %#x, want worker 0", c.name, got)
		}
	}
}

// TestPortFanoutSpread: port pairs spread over the workers about evenly.
func TestPortFanoutSpread(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, workers := range []uint32{2, 3, 8} {
		count := make([]int, workers)
		const assocs = 800
		for range assocs {
			sp := uint16(1024 + r.IntN(60000))
			count[vmPortFanout(t, 0x0800, ipv4(132, v4A, v4B, 0, 0, sctp(sp, 2905, sackChunk())))%workers]++
		}
		for w, n := range count {
			if n < assocs/int(workers)*3/4 {
				t.Errorf("workers=%d: worker %d got %d of %d: %v", workers, w, n, assocs, count)
			}
		}
	}
}
