package m3ua

import (
	"encoding/binary"
	"errors"
)

// Sentinel errors.
var (
	ErrShort    = errors.New("m3ua: short message")
	ErrVersion  = errors.New("m3ua: unsupported version")
	ErrLength   = errors.New("m3ua: bad length")
	ErrNoData   = errors.New("m3ua: DATA without protocol data")
	ErrNotData  = errors.New("m3ua: not a DATA message") // management etc.: counted, not an error of the input
	ErrMTPShort = errors.New("mtp3: short message")
)

// Message classes and the DATA type.
const (
	ClassTransfer = 1
	TypeData      = 1

	tagProtocolData = 0x0210
)

// Service indicators (Q.704 14.2.1).
const (
	SISCCP = 3
)

// PDU is the user part of an MTP transfer: routing label, service
// indicator and the user data (SCCP when SI is 3).
type PDU struct {
	OPC, DPC uint32
	SI, NI   uint8
	MP, SLS  uint8
	Data     []byte
}

// M3UA decodes an M3UA message. After DecodeFromBytes returns nil, PDU holds
// the protocol data of a DATA message; Data aliases the input. Other message
// classes return ErrNotData with Class and Type set.
type M3UA struct {
	Class, Type uint8
	PDU
}

// DecodeFromBytes decodes one M3UA message.
func (m *M3UA) DecodeFromBytes(b []byte) error {
	m.PDU = PDU{}
	if len(b) < 8 {
		return ErrShort
	}
	if b[0] != 1 {
		return ErrVersion
	}
	m.Class, m.Type = b[2], b[3]
	n := binary.BigEndian.Uint32(b[4:])
	if n < 8 || uint64(n) > uint64(len(b)) {
		return ErrLength
	}
	if m.Class != ClassTransfer || m.Type != TypeData {
		return ErrNotData
	}
	p := b[8:n]
	for len(p) >= 4 {
		tag := binary.BigEndian.Uint16(p)
		l := int(binary.BigEndian.Uint16(p[2:]))
		if l < 4 || l > len(p) {
			return ErrLength
		}
		if tag == tagProtocolData {
			v := p[4:l]
			if len(v) < 12 {
				return ErrShort
			}
			m.OPC = binary.BigEndian.Uint32(v)
			m.DPC = binary.BigEndian.Uint32(v[4:])
			m.SI, m.NI, m.MP, m.SLS = v[8], v[9], v[10], v[11]
			m.Data = v[12:]
			return nil
		}
		pad := (l + 3) &^ 3
		if pad > len(p) {
			pad = len(p)
		}
		p = p[pad:]
	}
	return ErrNoData
}

// DecodeMTP3 decodes an ITU MTP3 message: SIO octet and the 4-octet routing
// label (14-bit DPC and OPC, 4-bit SLS), followed by the user part.
func DecodeMTP3(b []byte, p *PDU) error {
	*p = PDU{}
	if len(b) < 5 {
		return ErrMTPShort
	}
	sio := b[0]
	p.SI = sio & 0xf
	p.MP = (sio >> 4) & 3
	p.NI = sio >> 6
	l := binary.LittleEndian.Uint32(b[1:])
	p.DPC = l & 0x3fff
	p.OPC = (l >> 14) & 0x3fff
	p.SLS = uint8(l >> 28)
	p.Data = b[5:]
	return nil
}

// M2PA message class and User Data type (RFC 4165).
const (
	m2paClass    = 11
	m2paUserData = 1
)

// M2PA decodes an M2PA message. User Data carries an MTP3 message, decoded
// into PDU; link status and empty User Data return ErrNotData.
type M2PA struct {
	Type uint8
	BSN  uint32
	FSN  uint32
	PDU
}

// DecodeFromBytes decodes one M2PA message.
func (m *M2PA) DecodeFromBytes(b []byte) error {
	m.PDU = PDU{}
	if len(b) < 8 {
		return ErrShort
	}
	if b[0] != 1 {
		return ErrVersion
	}
	if b[2] != m2paClass {
		return ErrNotData
	}
	m.Type = b[3]
	n := binary.BigEndian.Uint32(b[4:])
	if n < 8 || uint64(n) > uint64(len(b)) {
		return ErrLength
	}
	if m.Type != m2paUserData {
		return ErrNotData
	}
	b = b[8:n]
	if len(b) < 8 {
		return ErrShort
	}
	m.BSN = binary.BigEndian.Uint32(b) & 0xffffff
	m.FSN = binary.BigEndian.Uint32(b[4:]) & 0xffffff
	b = b[8:]
	if len(b) == 0 {
		return ErrNotData // an empty User Data is an acknowledgement
	}
	// First octet: priority (2 bits) and spare, then SIO and SIF.
	return DecodeMTP3(b[1:], &m.PDU)
}
