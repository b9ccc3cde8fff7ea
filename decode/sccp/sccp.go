package sccp

import (
	"errors"

	"github.com/sigprobe/sigprobe/decode/ident"
)

// Sentinel errors.
var (
	ErrShort       = errors.New("sccp: short message")
	ErrPointer     = errors.New("sccp: pointer out of range")
	ErrAddress     = errors.New("sccp: bad party address")
	ErrOptional    = errors.New("sccp: bad optional parameter")
	ErrUnsupported = errors.New("sccp: unsupported message type")
	ErrSegment     = errors.New("sccp: segment out of sequence")
	ErrSegTooBig   = errors.New("sccp: reassembled message too large")
)

// Message types (Q.713 Table 1).
const (
	CR    = 0x01
	CC    = 0x02
	CREF  = 0x03
	RLSD  = 0x04
	RLC   = 0x05
	DT1   = 0x06
	UDT   = 0x09
	UDTS  = 0x0a
	XUDT  = 0x11
	XUDTS = 0x12
	LUDT  = 0x13
	LUDTS = 0x14
)

// Optional parameter names (Q.713 Table 2).
const (
	pEOP          = 0x00
	pCalled       = 0x03
	pCalling      = 0x04
	pData         = 0x0f
	pSegmentation = 0x10
)

// Address is a decoded ITU SCCP party address (Q.713 3.4).
type Address struct {
	Present  bool
	HasPC    bool
	HasSSN   bool
	RouteSSN bool // routing indicator: route on SSN (else on GT)
	GTI      uint8
	SSN      uint8
	PC       uint16
	TT       uint8
	NP       uint8
	NAI      uint8
	GT       ident.Digits
}

// Segmentation is the XUDT segmentation parameter (Q.713 3.17).
type Segmentation struct {
	First     bool
	Class1    bool
	Remaining uint8
	Ref       uint32
}

// Presence flags.
const (
	HasSLR uint8 = 1 << iota
	HasDLR
	HasSeg
	HasClass
	HasCause
)

// Message is one decoded SCCP message. DecodeFromBytes overwrites every
// field; Data aliases the input and is valid until the input is reused.
type Message struct {
	Type     uint8
	Has      uint8
	Class    uint8
	Cause    uint8 // release, refusal or return cause
	SLR, DLR uint32
	Called   Address
	Calling  Address
	Seg      Segmentation
	Data     []byte
}

// ref reads a 3-octet local reference the way tshark shows it (the octets
// taken as a little-endian number).
func ref(b []byte) uint32 { return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 }

// variable returns the variable-length parameter a pointer at b[i] points to.
func variable(b []byte, i int) ([]byte, error) {
	if i >= len(b) {
		return nil, ErrShort
	}
	p := int(b[i])
	if p == 0 {
		return nil, ErrPointer
	}
	j := i + p
	if j >= len(b) {
		return nil, ErrPointer
	}
	n := int(b[j])
	if j+1+n > len(b) {
		return nil, ErrPointer
	}
	return b[j+1 : j+1+n], nil
}

// DecodeFromBytes decodes one SCCP message.
func (m *Message) DecodeFromBytes(b []byte) error {
	*m = Message{}
	if len(b) < 1 {
		return ErrShort
	}
	m.Type = b[0]
	var err error
	switch m.Type {
	case UDT, UDTS:
		if len(b) < 5 {
			return ErrShort
		}
		m.setClassOrCause(b[1])
		if err = m.addrs(b, 2); err != nil {
			return err
		}
		m.Data, err = variable(b, 4)
		return err
	case XUDT, XUDTS:
		if len(b) < 7 {
			return ErrShort
		}
		m.setClassOrCause(b[1])
		if err = m.addrs(b, 3); err != nil {
			return err
		}
		if m.Data, err = variable(b, 5); err != nil {
			return err
		}
		return m.optional(b, 6)
	case LUDT, LUDTS:
		return m.long(b)
	case CR:
		if len(b) < 6 {
			return ErrShort
		}
		m.SLR, m.Class = ref(b[1:]), b[4]&0xf
		m.Has |= HasSLR | HasClass
		v, err := variable(b, 5)
		if err != nil {
			return err
		}
		if err = decodeAddress(v, &m.Called); err != nil {
			return err
		}
		return m.optional(b, 6)
	case CC:
		if len(b) < 9 {
			return ErrShort
		}
		m.DLR, m.SLR, m.Class = ref(b[1:]), ref(b[4:]), b[7]&0xf
		m.Has |= HasSLR | HasDLR | HasClass
		return m.optional(b, 8)
	case CREF:
		if len(b) < 6 {
			return ErrShort
		}
		m.DLR, m.Cause = ref(b[1:]), b[4]
		m.Has |= HasDLR | HasCause
		return m.optional(b, 5)
	case RLSD:
		if len(b) < 9 {
			return ErrShort
		}
		m.DLR, m.SLR, m.Cause = ref(b[1:]), ref(b[4:]), b[7]
		m.Has |= HasSLR | HasDLR | HasCause
		return m.optional(b, 8)
	case RLC:
		if len(b) < 7 {
			return ErrShort
		}
		m.DLR, m.SLR = ref(b[1:]), ref(b[4:])
		m.Has |= HasSLR | HasDLR
		return nil
	case DT1:
		if len(b) < 6 {
			return ErrShort
		}
		m.DLR = ref(b[1:])
		m.Has |= HasDLR
		m.Data, err = variable(b, 5)
		return err
	}
	return ErrUnsupported
}

func (m *Message) setClassOrCause(v uint8) {
	if m.Type == UDTS || m.Type == XUDTS || m.Type == LUDTS {
		m.Cause = v
		m.Has |= HasCause
		return
	}
	m.Class = v & 0xf
	m.Has |= HasClass
}

func (m *Message) addrs(b []byte, i int) error {
	v, err := variable(b, i)
	if err != nil {
		return err
	}
	if err = decodeAddress(v, &m.Called); err != nil {
		return err
	}
	if v, err = variable(b, i+1); err != nil {
		return err
	}
	return decodeAddress(v, &m.Calling)
}

// optional walks the optional part a pointer at b[i] points to (0: none).
func (m *Message) optional(b []byte, i int) error {
	if i >= len(b) {
		return ErrShort
	}
	p := int(b[i])
	if p == 0 {
		return nil
	}
	return m.optionalAt(b, i+p)
}

// optionalAt walks optional parameters starting at b[j].
func (m *Message) optionalAt(b []byte, j int) error {
	for j < len(b) {
		name := b[j]
		if name == pEOP {
			return nil
		}
		if j+1 >= len(b) {
			return ErrOptional
		}
		n := int(b[j+1])
		if j+2+n > len(b) {
			return ErrOptional
		}
		v := b[j+2 : j+2+n]
		j += 2 + n
		switch name {
		case pCalled:
			if err := decodeAddress(v, &m.Called); err != nil {
				return err
			}
		case pCalling:
			if err := decodeAddress(v, &m.Calling); err != nil {
				return err
			}
		case pData:
			m.Data = v
		case pSegmentation:
			if n < 4 {
				return ErrOptional
			}
			m.Seg = Segmentation{
				First:     v[0]&0x80 != 0,
				Class1:    v[0]&0x40 != 0,
				Remaining: v[0] & 0xf,
				Ref:       ref(v[1:]),
			}
			m.Has |= HasSeg
		}
	}
	return ErrOptional // no end of optional parameters
}

// decodeAddress decodes an ITU party address (Q.713 3.4.1).
func decodeAddress(v []byte, a *Address) error {
	*a = Address{}
	if len(v) < 1 {
		return ErrAddress
	}
	ai := v[0]
	a.Present = true
	a.RouteSSN = ai&0x40 != 0
	a.GTI = (ai >> 2) & 0xf
	v = v[1:]
	if ai&1 != 0 {
		if len(v) < 2 {
			return ErrAddress
		}
		a.HasPC = true
		a.PC = (uint16(v[0]) | uint16(v[1])<<8) & 0x3fff
		v = v[2:]
	}
	if ai&2 != 0 {
		if len(v) < 1 {
			return ErrAddress
		}
		a.HasSSN = true
		a.SSN = v[0]
		v = v[1:]
	}
	odd := false
	switch a.GTI {
	case 0:
		return nil
	case 1:
		if len(v) < 1 {
			return ErrAddress
		}
		odd, a.NAI = v[0]&0x80 != 0, v[0]&0x7f
		v = v[1:]
	case 2:
		if len(v) < 1 {
			return ErrAddress
		}
		a.TT = v[0]
		v = v[1:]
	case 3:
		if len(v) < 2 {
			return ErrAddress
		}
		a.TT, a.NP = v[0], v[1]>>4
		odd = v[1]&0xf == 1
		v = v[2:]
	case 4:
		if len(v) < 3 {
			return ErrAddress
		}
		a.TT, a.NP, a.NAI = v[0], v[1]>>4, v[2]&0x7f
		odd = v[1]&0xf == 1
		v = v[3:]
	default:
		return ErrAddress
	}
	n := 2 * len(v)
	if odd && n > 0 {
		n--
	}
	if n > ident.MaxDigits {
		n = ident.MaxDigits
	}
	const chars = "0123456789abcdef"
	a.GT.D = [ident.MaxDigits]byte{}
	for i := 0; i < n; i++ {
		x := v[i/2]
		if i&1 == 1 {
			x >>= 4
		}
		a.GT.D[i] = chars[x&0xf]
	}
	a.GT.N = uint8(n)
	return nil
}

// long decodes LUDT and LUDTS (Q.713 4.20, 4.21): two-octet pointers and a
// long data parameter with a two-octet length.
func (m *Message) long(b []byte) error {
	if len(b) < 11 {
		return ErrShort
	}
	m.setClassOrCause(b[1])
	// A two-octet pointer (LSB first) counts from its more significant,
	// second octet (Q.713 2.3).
	ptr := func(i int) (int, error) {
		p := int(b[i]) | int(b[i+1])<<8
		if p == 0 || i+1+p >= len(b) {
			return 0, ErrPointer
		}
		return i + 1 + p, nil
	}
	for k, a := range []*Address{&m.Called, &m.Calling} {
		j, err := ptr(3 + 2*k)
		if err != nil {
			return err
		}
		n := int(b[j])
		if j+1+n > len(b) {
			return ErrPointer
		}
		if err := decodeAddress(b[j+1:j+1+n], a); err != nil {
			return err
		}
	}
	j, err := ptr(7)
	if err != nil {
		return err
	}
	if j+2 > len(b) {
		return ErrPointer
	}
	n := int(b[j]) | int(b[j+1])<<8
	if j+2+n > len(b) {
		return ErrPointer
	}
	m.Data = b[j+2 : j+2+n]
	if b[9] == 0 && b[10] == 0 {
		return nil
	}
	o, err := ptr(9)
	if err != nil {
		return err
	}
	return m.optionalAt(b, o)
}
