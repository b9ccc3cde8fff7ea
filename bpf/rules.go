package bpf

import "encoding/binary"

// Rules say which SCTP packets are signaling: those with a source or
// destination port in Ports, or whose first chunk is DATA with a payload
// protocol identifier in PPIDs. Empty lists mean DefaultPorts / DefaultPPIDs.
type Rules struct {
	Ports []uint16
	PPIDs []uint32
}

func (r Rules) withDefaults() Rules {
	if len(r.Ports) == 0 {
		r.Ports = DefaultPorts
	}
	if len(r.PPIDs) == 0 {
		r.PPIDs = DefaultPPIDs
	}
	return r
}

// Matcher is the Go twin of sigtran_filter.c for Ethernet frames as they
// were on the wire (VLAN tags in place). It is used where the kernel will not
// run the eBPF filter, and the tests hold the two to the same verdicts.
type Matcher struct {
	rules Rules
}

// NewMatcher returns a matcher for rules (defaults filled in).
func NewMatcher(rules Rules) *Matcher {
	return &Matcher{rules: rules.withDefaults()}
}

// Match reports whether frame passes the filter. It does not allocate.
func (m *Matcher) Match(frame []byte) bool {
	if len(frame) < 14 {
		return false
	}
	off := 14
	typ := binary.BigEndian.Uint16(frame[12:])
	for i := 0; i < 2 && (typ == 0x8100 || typ == 0x88a8); i++ {
		if len(frame) < off+4 {
			return false
		}
		typ = binary.BigEndian.Uint16(frame[off+2:])
		off += 4
	}
	var l4 int
	switch typ {
	case 0x0800:
		if len(frame) < off+20 {
			return false
		}
		ip := frame[off:]
		ihl := int(ip[0] & 0x0f)
		if ip[0]>>4 != 4 || ihl < 5 || ip[9] != 132 {
			return false
		}
		if binary.BigEndian.Uint16(ip[6:])&0x1fff != 0 {
			return true // non-first fragment of SCTP
		}
		l4 = off + ihl*4
	case 0x86dd:
		if len(frame) < off+40 {
			return false
		}
		ip := frame[off:]
		if ip[0]>>4 != 6 || ip[6] != 132 {
			return false
		}
		l4 = off + 40
	default:
		return false
	}
	if len(frame) < l4+4 {
		return false
	}
	sport := binary.BigEndian.Uint16(frame[l4:])
	dport := binary.BigEndian.Uint16(frame[l4+2:])
	for _, p := range m.rules.Ports {
		if p == sport || p == dport {
			return true
		}
	}
	c := l4 + 12
	if len(frame) < c+16 || frame[c] != 0 {
		return false
	}
	ppid := binary.BigEndian.Uint32(frame[c+12:])
	for _, p := range m.rules.PPIDs {
		if p == ppid {
			return true
		}
	}
	return false
}
