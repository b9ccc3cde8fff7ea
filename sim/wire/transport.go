package wire

import "hash/crc32"

// M3UA constants (RFC 4666).
const (
	M3UAPort        = 2905
	PPIDM3UA        = 3
	m3uaClassXfer   = 1
	m3uaTypeData    = 1
	m3uaTagProtData = 0x0210
)

// MTP3 service indicators and network indicators (ITU-T Q.704 14.2).
const (
	SISCCP          = 3
	NIInternational = 0
	NINational      = 2
)

// M3UAData appends an M3UA DATA message (RFC 4666 3.3.1) with a Protocol
// Data parameter; the parameter is padded to 4 octets.
func M3UAData(b []byte, opc, dpc uint32, si, ni, mp, sls uint8, data []byte) []byte {
	plen := 16 + len(data)
	pad := (4 - plen&3) & 3
	mlen := 8 + plen + pad
	b = append(b, 1, 0, m3uaClassXfer, m3uaTypeData,
		byte(mlen>>24), byte(mlen>>16), byte(mlen>>8), byte(mlen),
		byte(m3uaTagProtData>>8), byte(m3uaTagProtData&0xff), byte(plen>>8), byte(plen),
		byte(opc>>24), byte(opc>>16), byte(opc>>8), byte(opc),
		byte(dpc>>24), byte(dpc>>16), byte(dpc>>8), byte(dpc),
		si, ni, mp, sls)
	b = append(b, data...)
	return append(b, zeros[:pad]...)
}

var zeros [4]byte

// SCTP DATA chunk flags (RFC 9260 3.3.1).
const (
	ChunkE = 0x01
	ChunkB = 0x02
	ChunkU = 0x04
)

// Endpoint is one end of an SCTP association on Ethernet/IPv4.
type Endpoint struct {
	MAC  [6]byte
	IP   [4]byte
	Port uint16
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Packet builds one Ethernet (optionally 802.1Q tagged) / IPv4 / SCTP
// packet with bundled chunks. A Packet is reusable: after the first few
// packets have grown its buffer, building one allocates nothing.
type Packet struct {
	buf  []byte
	ip   int // offset of the IPv4 header
	sctp int // offset of the SCTP common header
}

// Reset starts a new packet from src to dst. vlan 0 means untagged.
func (p *Packet) Reset(src, dst Endpoint, vlan uint16, vtag uint32, ipID uint16) {
	if p.buf == nil {
		p.buf = make([]byte, 0, 1536)
	}
	b := p.buf[:0]
	b = append(b, dst.MAC[:]...)
	b = append(b, src.MAC[:]...)
	if vlan != 0 {
		b = append(b, 0x81, 0x00, byte(vlan>>8)&0x0f, byte(vlan))
	}
	b = append(b, 0x08, 0x00)
	p.ip = len(b)
	b = append(b, 0x45, 0x00, 0, 0, byte(ipID>>8), byte(ipID), 0x40, 0x00, 64, 132, 0, 0)
	b = append(b, src.IP[:]...)
	b = append(b, dst.IP[:]...)
	p.sctp = len(b)
	b = append(b, byte(src.Port>>8), byte(src.Port), byte(dst.Port>>8), byte(dst.Port),
		byte(vtag>>24), byte(vtag>>16), byte(vtag>>8), byte(vtag), 0, 0, 0, 0)
	p.buf = b
}

// AddSACK appends a SACK chunk without gap blocks or duplicate TSNs.
// Control chunks must precede DATA chunks: add it first.
func (p *Packet) AddSACK(cumTSN, arwnd uint32) {
	p.buf = append(p.buf, 3, 0, 0, 16,
		byte(cumTSN>>24), byte(cumTSN>>16), byte(cumTSN>>8), byte(cumTSN),
		byte(arwnd>>24), byte(arwnd>>16), byte(arwnd>>8), byte(arwnd),
		0, 0, 0, 0)
}

// AddData appends a DATA chunk, padded to 4 octets.
func (p *Packet) AddData(flags uint8, tsn uint32, stream, ssn uint16, ppid uint32, data []byte) {
	n := 16 + len(data)
	p.buf = append(p.buf, 0, flags&0x0f, byte(n>>8), byte(n),
		byte(tsn>>24), byte(tsn>>16), byte(tsn>>8), byte(tsn),
		byte(stream>>8), byte(stream), byte(ssn>>8), byte(ssn),
		byte(ppid>>24), byte(ppid>>16), byte(ppid>>8), byte(ppid))
	p.buf = append(p.buf, data...)
	p.buf = append(p.buf, zeros[:(4-n&3)&3]...)
}

// Len returns the size of the frame built so far.
func (p *Packet) Len() int { return len(p.buf) }

// Bytes finalises the IPv4 total length and header checksum and the SCTP
// CRC32c checksum and returns the frame. It is valid until the next Reset.
func (p *Packet) Bytes() []byte {
	b := p.buf
	ip := b[p.ip : p.ip+20]
	tl := len(b) - p.ip
	ip[2], ip[3] = byte(tl>>8), byte(tl)
	ip[10], ip[11] = 0, 0
	var sum uint32
	for i := 0; i < 20; i += 2 {
		sum += uint32(ip[i])<<8 | uint32(ip[i+1])
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	cs := ^uint16(sum)
	ip[10], ip[11] = byte(cs>>8), byte(cs)
	s := b[p.sctp:]
	s[8], s[9], s[10], s[11] = 0, 0, 0, 0
	c := crc32.Checksum(s, castagnoli)
	s[8], s[9], s[10], s[11] = byte(c), byte(c>>8), byte(c>>16), byte(c>>24)
	return b
}
