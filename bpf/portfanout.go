package bpf

import (
	"fmt"

	cbpf "golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// PortFanout returns a classic BPF program for PACKET_FANOUT_CBPF, the
// fanout of hash mode (where the kernel will not load eBPF; classic BPF
// needs no CAP_BPF). It keeps every path of a multi-homed SCTP association
// on one worker without sctp_fanout's learned tag map: it hashes the SCTP
// port pair alone, smaller port first, so both directions and every address
// pair of an association agree. The price: associations between the same
// two ports (2905↔2905 meshes) share a worker. Non-SCTP packets and
// non-first IPv4 fragments go to worker 0.
//
// Like sctp_fanout.c it runs with skb data at the network header and reads
// the ethertype at MAC+12 (the kernel has moved an outer VLAN tag out of the
// frame); one more tag may follow at the network header.
func PortFanout() ([]unix.SockFilter, error) {
	const llOff = 0xffe00000 // SKF_LL_OFF: loads relative to the MAC header
	return portFanout(cbpf.LoadAbsolute{Off: llOff + 12, Size: 2}, 0)
}

// portFanout assembles the program with first as the instruction that loads
// the ethertype, and the result masked with mask if not 0: tests run it in
// x/net/bpf's VM, which has no SKF_LL_OFF and caps the result at the
// packet's length.
func portFanout(first cbpf.Instruction, mask uint32) ([]unix.SockFilter, error) {
	const m0, m1 = 0, 1 // scratch: source port (then the hash), destination port
	var a asm
	a.add(first)
	a.add(cbpf.LoadConstant{Dst: cbpf.RegX, Val: 0}) // X: the network header's offset
	a.jump(cbpf.JumpEqual, 0x8100, "tag")
	a.jump(cbpf.JumpNotEqual, 0x88a8, "l3")
	a.label("tag")
	a.add(cbpf.LoadAbsolute{Off: 2, Size: 2})
	a.add(cbpf.LoadConstant{Dst: cbpf.RegX, Val: 4})
	a.label("l3")
	a.jump(cbpf.JumpEqual, 0x86dd, "ipv6")
	a.jump(cbpf.JumpNotEqual, 0x0800, "other")
	a.add(cbpf.LoadIndirect{Off: 9, Size: 1})
	a.jump(cbpf.JumpNotEqual, 132, "other")
	a.add(cbpf.LoadIndirect{Off: 6, Size: 2})
	a.jump(cbpf.JumpBitsSet, 0x1fff, "other") // a later fragment: no ports
	a.add(cbpf.LoadIndirect{Off: 0, Size: 1})
	a.add(cbpf.ALUOpConstant{Op: cbpf.ALUOpAnd, Val: 0x0f})
	a.add(cbpf.ALUOpConstant{Op: cbpf.ALUOpShiftLeft, Val: 2}) // IHL in bytes
	a.goTo("l4")
	a.label("ipv6")
	a.add(cbpf.LoadIndirect{Off: 6, Size: 1})
	a.jump(cbpf.JumpNotEqual, 132, "other")
	a.add(cbpf.LoadConstant{Dst: cbpf.RegA, Val: 40})
	a.label("l4")
	a.add(cbpf.ALUOpX{Op: cbpf.ALUOpAdd})
	a.add(cbpf.TAX{}) // X: the SCTP header's offset
	a.add(cbpf.LoadIndirect{Off: 0, Size: 2})
	a.add(cbpf.StoreScratch{Src: cbpf.RegA, N: m0})
	a.add(cbpf.LoadIndirect{Off: 2, Size: 2})
	a.add(cbpf.StoreScratch{Src: cbpf.RegA, N: m1})
	a.add(cbpf.LoadScratch{Dst: cbpf.RegX, N: m0})
	a.jumpX(cbpf.JumpGreaterOrEqual, "dportHigh")
	a.add(cbpf.ALUOpConstant{Op: cbpf.ALUOpShiftLeft, Val: 16}) // dport << 16 | sport
	a.add(cbpf.ALUOpX{Op: cbpf.ALUOpOr})
	a.goTo("mix")
	a.label("dportHigh")
	a.add(cbpf.TXA{}) // sport << 16 | dport
	a.add(cbpf.ALUOpConstant{Op: cbpf.ALUOpShiftLeft, Val: 16})
	a.add(cbpf.LoadScratch{Dst: cbpf.RegX, N: m1})
	a.add(cbpf.ALUOpX{Op: cbpf.ALUOpOr})
	a.label("mix") // a multiplication and MurmurHash3's finaliser, so nearby port pairs spread
	a.add(cbpf.ALUOpConstant{Op: cbpf.ALUOpMul, Val: 0x9e3779b1})
	for _, step := range []struct{ shift, mul uint32 }{{16, 0x85ebca6b}, {13, 0xc2b2ae35}, {16, 0}} {
		a.add(cbpf.StoreScratch{Src: cbpf.RegA, N: m0})
		a.add(cbpf.ALUOpConstant{Op: cbpf.ALUOpShiftRight, Val: step.shift})
		a.add(cbpf.TAX{})
		a.add(cbpf.LoadScratch{Dst: cbpf.RegA, N: m0})
		a.add(cbpf.ALUOpX{Op: cbpf.ALUOpXor})
		if step.mul != 0 {
			a.add(cbpf.ALUOpConstant{Op: cbpf.ALUOpMul, Val: step.mul})
		}
	}
	if mask != 0 {
		a.add(cbpf.ALUOpConstant{Op: cbpf.ALUOpAnd, Val: mask})
	}
	a.add(cbpf.RetA{})
	a.label("other")
	a.add(cbpf.RetConstant{Val: 0})
	prog, err := a.resolve()
	if err != nil {
		return nil, err
	}
	raw, err := cbpf.Assemble(prog)
	if err != nil {
		return nil, fmt.Errorf("bpf: assemble the port fanout: %w", err)
	}
	out := make([]unix.SockFilter, len(raw))
	for i, r := range raw {
		out[i] = unix.SockFilter{Code: r.Op, Jt: r.Jt, Jf: r.Jf, K: r.K}
	}
	return out, nil
}

// asm collects classic BPF instructions whose forward jumps name labels.
type asm struct {
	prog   []cbpf.Instruction
	to     map[int]string // instruction index → label it jumps to
	labels map[string]int
}

func (a *asm) add(i cbpf.Instruction) { a.prog = append(a.prog, i) }

func (a *asm) label(name string) {
	if a.labels == nil {
		a.labels = map[string]int{}
	}
	a.labels[name] = len(a.prog)
}

func (a *asm) target(name string) {
	if a.to == nil {
		a.to = map[int]string{}
	}
	a.to[len(a.prog)] = name
}

// jump goes to label when A cond val holds, else on.
func (a *asm) jump(cond cbpf.JumpTest, val uint32, label string) {
	a.target(label)
	a.add(cbpf.JumpIf{Cond: cond, Val: val})
}

// jumpX goes to label when A cond X holds, else on.
func (a *asm) jumpX(cond cbpf.JumpTest, label string) {
	a.target(label)
	a.add(cbpf.JumpIfX{Cond: cond})
}

func (a *asm) goTo(label string) {
	a.target(label)
	a.add(cbpf.Jump{})
}

func (a *asm) resolve() ([]cbpf.Instruction, error) {
	for i, name := range a.to {
		at, ok := a.labels[name]
		if !ok || at <= i {
			return nil, fmt.Errorf("bpf: port fanout: jump from %d to %q (at %d)", i, name, at)
		}
		skip := at - i - 1
		switch j := a.prog[i].(type) {
		case cbpf.JumpIf:
			if skip > 255 {
				return nil, fmt.Errorf("bpf: port fanout: conditional jump from %d to %q too far", i, name)
			}
			j.SkipTrue = uint8(skip)
			a.prog[i] = j
		case cbpf.JumpIfX:
			if skip > 255 {
				return nil, fmt.Errorf("bpf: port fanout: conditional jump from %d to %q too far", i, name)
			}
			j.SkipTrue = uint8(skip)
			a.prog[i] = j
		case cbpf.Jump:
			j.Skip = uint32(skip)
			a.prog[i] = j
		}
	}
	return a.prog, nil
}
