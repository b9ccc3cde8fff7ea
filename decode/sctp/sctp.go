package sctp

import (
	"encoding/binary"
	"errors"
)

// Sentinel errors.
var (
	ErrShort      = errors.New("sctp: short packet")
	ErrChunkLen   = errors.New("sctp: bad chunk length")
	ErrTooMany    = errors.New("sctp: too many DATA chunks in one packet")
	ErrReassembly = errors.New("sctp: incomplete message dropped (a fragment never came)")
	ErrTooBig     = errors.New("sctp: reassembled message too large")
	// ErrChecksum is a packet whose CRC32c does not match: corrupted on the
	// way to the tap, or captured before checksum offload filled it in.
	ErrChecksum = errors.New("sctp: bad CRC32c checksum")
)

// Chunk types (RFC 9260 3.2) that the decoder looks at.
const (
	ChunkDATA             = 0
	ChunkINIT             = 1
	ChunkINITACK          = 2
	ChunkABORT            = 6
	ChunkSHUTDOWNCOMPLETE = 14
	ChunkIDATA            = 64
)

// MaxData is the number of DATA chunks kept from one packet; a 1500-byte
// packet cannot hold more than ~90 minimal ones, real traffic bundles few.
const MaxData = 64

// Data is one DATA chunk. Payload aliases the decoded packet.
type Data struct {
	TSN     uint32
	PPID    uint32
	Stream  uint16
	SSN     uint16
	Flags   uint8 // bit 0 E (end), bit 1 B (begin), bit 2 U (unordered)
	Payload []byte
}

// Begin and End report the B and E fragmentation bits.
func (d *Data) Begin() bool { return d.Flags&2 != 0 }

// End reports the E bit.
func (d *Data) End() bool { return d.Flags&1 != 0 }

// Packet is a decoded SCTP packet: the common header and its DATA chunks.
// DecodeFromBytes overwrites every field; payloads alias the input and are
// valid until the input buffer is reused.
type Packet struct {
	SrcPort, DstPort uint16
	VTag             uint32
	NData            int
	NControl         int
	// Association set-up and tear-down, for telling associations apart by
	// their verification tags: the first INIT or INIT ACK chunk's Initiate
	// Tag (the tag the peer will put on packets to the sender), and whether
	// an ABORT or SHUTDOWN COMPLETE has the T bit set (VTag is then the
	// sender's own tag, not the receiver's).
	Init     uint8 // ChunkINIT, ChunkINITACK, or 0 when neither is present
	InitTag  uint32
	Reflects bool
	Data     [MaxData]Data
}

// DecodeFromBytes decodes b, an SCTP packet (the IP payload). It does not
// verify the checksum: see ChecksumOK.
func (p *Packet) DecodeFromBytes(b []byte) error {
	p.NData, p.NControl = 0, 0
	p.Init, p.InitTag, p.Reflects = 0, 0, false
	if len(b) < 12 {
		return ErrShort
	}
	p.SrcPort = binary.BigEndian.Uint16(b)
	p.DstPort = binary.BigEndian.Uint16(b[2:])
	p.VTag = binary.BigEndian.Uint32(b[4:])
	b = b[12:]
	for len(b) >= 4 {
		typ := b[0]
		n := int(binary.BigEndian.Uint16(b[2:]))
		if n < 4 || n > len(b) {
			return ErrChunkLen
		}
		c := b[:n]
		pad := (n + 3) &^ 3
		if pad > len(b) {
			pad = len(b)
		}
		b = b[pad:]
		if typ != ChunkDATA {
			p.NControl++
			switch typ {
			case ChunkINIT, ChunkINITACK:
				if n >= 20 && p.Init == 0 {
					p.Init, p.InitTag = typ, binary.BigEndian.Uint32(c[4:])
				}
			case ChunkABORT, ChunkSHUTDOWNCOMPLETE:
				if c[1]&1 != 0 {
					p.Reflects = true
				}
			}
			continue
		}
		if n < 16 {
			return ErrChunkLen
		}
		if p.NData == MaxData {
			return ErrTooMany
		}
		d := &p.Data[p.NData]
		p.NData++
		d.Flags = c[1]
		d.TSN = binary.BigEndian.Uint32(c[4:])
		d.Stream = binary.BigEndian.Uint16(c[8:])
		d.SSN = binary.BigEndian.Uint16(c[10:])
		d.PPID = binary.BigEndian.Uint32(c[12:])
		d.Payload = c[16:]
	}
	return nil
}
