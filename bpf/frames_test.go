package bpf

import "encoding/binary"

// Hand-made frames for the program tests. Checksums are left zero: neither
// program looks at them.

var (
	macA = []byte{0x02, 0, 0, 0, 0, 0x0a}
	macB = []byte{0x02, 0, 0, 0, 0, 0x0b}
	v4A  = [4]byte{10, 1, 0, 1}
	v4B  = [4]byte{10, 2, 0, 2}
	v6A  = [16]byte{0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0a}
	v6B  = [16]byte{0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0b}
)

func be16(b []byte, v uint16) []byte { return binary.BigEndian.AppendUint16(b, v) }
func be32(b []byte, v uint32) []byte { return binary.BigEndian.AppendUint32(b, v) }

// ether builds an Ethernet header with VLAN tags (TPIDs in order) and the
// final ethertype, followed by payload.
func ether(typ uint16, payload []byte, tpids ...uint16) []byte {
	b := append(append([]byte{}, macB...), macA...)
	for i, tp := range tpids {
		b = be16(b, tp)
		b = be16(b, uint16(100+i)) // TCI: VLAN 100, 101
	}
	b = be16(b, typ)
	return append(b, payload...)
}

func ipv4(proto byte, src, dst [4]byte, optWords int, frag uint16, payload []byte) []byte {
	hl := 20 + 4*optWords
	b := []byte{byte(0x40 | hl/4), 0}
	b = be16(b, uint16(hl+len(payload)))
	b = be16(b, 0x1234)
	b = be16(b, frag)
	b = append(b, 64, proto, 0, 0)
	b = append(b, src[:]...)
	b = append(b, dst[:]...)
	for range optWords {
		b = append(b, 1, 1, 1, 1) // NOPs
	}
	return append(b, payload...)
}

func ipv6(next byte, src, dst [16]byte, payload []byte) []byte {
	b := []byte{0x60, 0, 0, 0}
	b = be16(b, uint16(len(payload)))
	b = append(b, next, 64)
	b = append(b, src[:]...)
	b = append(b, dst[:]...)
	return append(b, payload...)
}

func sctp(sport, dport uint16, chunks ...[]byte) []byte {
	return sctpTag(sport, dport, 0xdeadbeef, chunks...)
}

// sctpTag is an SCTP packet with verification tag tag.
func sctpTag(sport, dport uint16, tag uint32, chunks ...[]byte) []byte {
	b := be16(nil, sport)
	b = be16(b, dport)
	b = be32(b, tag)
	b = be32(b, 0) // checksum
	for _, c := range chunks {
		b = append(b, c...)
	}
	return b
}

func dataChunk(ppid uint32, payload []byte) []byte {
	b := []byte{0, 0x03} // DATA, B+E
	b = be16(b, uint16(16+len(payload)))
	b = be32(b, 1) // TSN
	b = be16(b, 0) // stream
	b = be16(b, 0) // stream sequence
	b = be32(b, ppid)
	b = append(b, payload...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func sackChunk() []byte {
	b := []byte{3, 0, 0, 16}
	b = be32(b, 1)
	b = be32(b, 65536)
	return be32(b, 0)
}

func initChunk() []byte { return initTag(1, 0x11111111) }

// initTag is an INIT (typ 1) or INIT ACK (typ 2) with Initiate Tag tag.
func initTag(typ byte, tag uint32) []byte {
	b := []byte{typ, 0, 0, 20}
	b = be32(b, tag)
	b = be32(b, 65536)
	b = be16(b, 2)
	b = be16(b, 2)
	return be32(b, 1)
}

// abortT is an ABORT chunk with the T bit: the packet carries the sender's
// own tag.
func abortT() []byte { return []byte{6, 1, 0, 4} }

func ports(sport, dport uint16, rest []byte) []byte {
	return append(be16(be16(nil, sport), dport), rest...)
}

// m3uaData is a minimal M3UA DATA message (header only is enough here).
var m3uaData = []byte{1, 0, 1, 1, 0, 0, 0, 8}

func m3ua(sport, dport uint16) []byte {
	return ether(0x0800, ipv4(132, v4A, v4B, 0, 0, sctp(sport, dport, dataChunk(3, m3uaData))))
}

func arp() []byte {
	b := []byte{0, 1, 8, 0, 6, 4, 0, 1}
	b = append(b, macA...)
	b = append(b, v4A[:]...)
	b = append(b, 0, 0, 0, 0, 0, 0)
	b = append(b, v4B[:]...)
	return ether(0x0806, b)
}

func httpGET() []byte {
	tcp := ports(40000, 80, be32(be32(nil, 1), 0))
	tcp = append(tcp, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0)
	tcp = append(tcp, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"...)
	return ether(0x0800, ipv4(6, v4A, v4B, 0, 0x4000, tcp))
}

func udp(sport, dport uint16, payload []byte) []byte {
	u := ports(sport, dport, be16(be16(nil, uint16(8+len(payload))), 0))
	return append(u, payload...)
}

type frameCase struct {
	name string
	data []byte
	pass bool
}

func filterCases() []frameCase {
	m3 := sctp(40000, 2905, dataChunk(3, m3uaData))
	return []frameCase{
		{"M3UA to 2905", m3ua(40000, 2905), true},
		{"M3UA from 2905", m3ua(2905, 40000), true},
		{"M3UA INIT on 2905", ether(0x0800, ipv4(132, v4A, v4B, 0, 0, sctp(40000, 2905, initChunk()))), true},
		{"M2PA on 3565", ether(0x0800, ipv4(132, v4A, v4B, 0, 0, sctp(3565, 3565, dataChunk(5, m3uaData)))), true},
		{"M3UA PPID on other port", ether(0x0800, ipv4(132, v4A, v4B, 0, 0, sctp(7000, 7001, dataChunk(3, m3uaData)))), true},
		{"M2PA PPID on other port", ether(0x0800, ipv4(132, v4A, v4B, 0, 0, sctp(7000, 7001, dataChunk(5, m3uaData)))), true},
		{"Diameter PPID on other port", ether(0x0800, ipv4(132, v4A, v4B, 0, 0, sctp(3868, 3868, dataChunk(46, m3uaData)))), false},
		{"SACK first on other port", ether(0x0800, ipv4(132, v4A, v4B, 0, 0, sctp(7000, 7001, sackChunk(), dataChunk(3, m3uaData)))), false},
		{"SACK bundled on 2905", ether(0x0800, ipv4(132, v4A, v4B, 0, 0, sctp(40000, 2905, sackChunk(), dataChunk(3, m3uaData)))), true},
		{"IPv4 options", ether(0x0800, ipv4(132, v4A, v4B, 3, 0, m3)), true},
		{"IPv4 non-first fragment of SCTP", ether(0x0800, ipv4(132, v4A, v4B, 0, 0x00b9, []byte{1, 2, 3, 4, 5, 6, 7, 8})), true},
		{"IPv4 first fragment of SCTP, other port", ether(0x0800, ipv4(132, v4A, v4B, 0, 0x2000, sctp(7000, 7001, sackChunk()))), false},
		{"802.1Q", ether(0x0800, ipv4(132, v4A, v4B, 0, 0, m3), 0x8100), true},
		{"QinQ 802.1ad", ether(0x0800, ipv4(132, v4A, v4B, 0, 0, m3), 0x88a8, 0x8100), true},
		{"QinQ double 802.1Q", ether(0x0800, ipv4(132, v4A, v4B, 0, 0, m3), 0x8100, 0x8100), true},
		{"three tags", ether(0x0800, ipv4(132, v4A, v4B, 0, 0, m3), 0x88a8, 0x8100, 0x8100), false},
		{"IPv6 M3UA", ether(0x86dd, ipv6(132, v6A, v6B, m3)), true},
		{"IPv6 in VLAN", ether(0x86dd, ipv6(132, v6A, v6B, m3), 0x8100), true},
		{"IPv6 UDP", ether(0x86dd, ipv6(17, v6A, v6B, udp(5353, 5353, []byte("mdns")))), false},
		{"UDP to 2905", ether(0x0800, ipv4(17, v4A, v4B, 0, 0, udp(40000, 2905, m3uaData))), false},
		{"UDP DNS", ether(0x0800, ipv4(17, v4A, v4B, 0, 0, udp(40000, 53, []byte("query")))), false},
		{"TCP HTTP", httpGET(), false},
		{"ARP", arp(), false},
		{"truncated in IPv4 header", m3ua(40000, 2905)[:14+12], false},
		{"truncated in SCTP ports", m3ua(40000, 2905)[:14+20+3], false},
		{"truncated after ports, port match", m3ua(40000, 2905)[:14+20+4], true},
		{"truncated in DATA chunk, PPID rule only", ether(0x0800, ipv4(132, v4A, v4B, 0, 0, sctp(7000, 7001, dataChunk(3, m3uaData))))[:14+20+12+10], false},
		{"bare Ethernet header", ether(0x0800, nil), false},
		{"truncated VLAN tag", ether(0x0800, nil, 0x8100)[:16], false},
	}
}
