package ident

import "errors"

// Sentinel errors.
var (
	ErrShort   = errors.New("ident: short identity")
	ErrBadType = errors.New("ident: unknown mobile identity type")
	ErrTooLong = errors.New("ident: too many digits")
	ErrBadPLMN = errors.New("ident: short PLMN")
)

// MaxDigits is the capacity of Digits: E.164 numbers have at most 15 digits,
// IMSI 15, IMEISV 16; global titles and BCD numbers rarely exceed 20.
const MaxDigits = 24

// Digits is a fixed-capacity digit string as ASCII: '0'-'9', and for the
// TBCD/BCD codes 10-14 '*', '#', 'a', 'b', 'c'. N == 0 means absent. The
// setters zero D beyond N, so two Digits with the same digits are == (a
// reused decoder must not leak an earlier message's digits into a copy).
type Digits struct {
	N uint8
	D [MaxDigits]byte
}

const nibbleChars = "0123456789*#abcf"

// String returns the digits as a string (allocates; not for the hot path).
func (d *Digits) String() string { return string(d.D[:d.N]) }

// Bytes returns the digits; the slice aliases d.
func (d *Digits) Bytes() []byte { return d.D[:d.N] }

// Set copies ASCII digits (for tests and the simulator side).
func (d *Digits) Set(s string) {
	d.D = [MaxDigits]byte{}
	d.N = uint8(copy(d.D[:], s))
}

func (d *Digits) push(n byte) bool {
	if int(d.N) >= MaxDigits {
		return false
	}
	d.D[d.N] = nibbleChars[n&0xf]
	d.N++
	return true
}

// SetTBCD decodes TBCD (TS 29.002 / 23.003: low nibble first, 0xF filler
// ends the string). It stops at MaxDigits and reports ErrTooLong.
func (d *Digits) SetTBCD(b []byte) error {
	d.N, d.D = 0, [MaxDigits]byte{}
	for _, x := range b {
		if x&0xf == 0xf {
			return nil
		}
		if !d.push(x & 0xf) {
			return ErrTooLong
		}
		if x>>4 == 0xf {
			return nil
		}
		if !d.push(x >> 4) {
			return ErrTooLong
		}
	}
	return nil
}

// SetAddress decodes a MAP AddressString / ISDN-AddressString and the BCD
// number IEs of TS 24.008 and 24.011: one octet nature of address and
// numbering plan (with extension bit), then TBCD digits. ext3a tells whether
// an octet 3a may follow when the extension bit of octet 3 is 0 (24.008
// Calling party BCD number); MAP AddressString has none.
func (d *Digits) SetAddress(b []byte, ext3a bool) error {
	d.N, d.D = 0, [MaxDigits]byte{}
	if len(b) == 0 {
		return ErrShort
	}
	i := 1
	if ext3a && b[0]&0x80 == 0 {
		i = 2
	}
	if i > len(b) {
		return ErrShort
	}
	return d.SetTBCD(b[i:])
}

// PLMN is an MCC/MNC pair as ASCII hex digits exactly as coded (a filler or
// invalid nibble shows as 'f' or another hex letter). MNCLen is 2 or 3.
type PLMN struct {
	MCC    [3]byte
	MNC    [3]byte
	MNCLen uint8
}

const hexChars = "0123456789abcdef"

// DecodePLMN decodes the 3-octet PLMN identity of TS 24.008 10.5.1.3.
func DecodePLMN(b []byte) (PLMN, error) {
	var p PLMN
	if len(b) < 3 {
		return p, ErrBadPLMN
	}
	p.MCC[0] = hexChars[b[0]&0xf]
	p.MCC[1] = hexChars[b[0]>>4]
	p.MCC[2] = hexChars[b[1]&0xf]
	p.MNC[0] = hexChars[b[2]&0xf]
	p.MNC[1] = hexChars[b[2]>>4]
	p.MNCLen = 2
	// A third MNC digit unless it is filler; like tshark, an all-filler MCC
	// (a deleted LAI) keeps all three MNC nibbles as coded.
	if b[1]>>4 != 0xf || b[0] == 0xff && b[1]&0xf == 0xf {
		p.MNC[2] = hexChars[b[1]>>4]
		p.MNCLen = 3
	}
	return p, nil
}

// Cell presence flags.
const (
	HasPLMN uint8 = 1 << iota
	HasLAC
	HasCI
	HasSAC
)

// Cell is a location: a cell (CGI, LAC+CI, CI), a location area (LAI, LAC)
// or a service area; Has says which parts are present.
type Cell struct {
	PLMN PLMN
	LAC  uint16
	CI   uint16 // CI, or SAC when Has&HasSAC
	Has  uint8
}

// Valid reports whether any part is present.
func (c *Cell) Valid() bool { return c.Has != 0 }

// DecodeLAI decodes a 5-octet LAI (TS 24.008 10.5.1.3).
func DecodeLAI(b []byte) (Cell, error) {
	var c Cell
	if len(b) < 5 {
		return c, ErrShort
	}
	c.PLMN, _ = DecodePLMN(b)
	c.LAC = uint16(b[3])<<8 | uint16(b[4])
	c.Has = HasPLMN | HasLAC
	return c, nil
}

// DecodeCGI decodes a 7-octet cell global identity (PLMN, LAC, CI).
func DecodeCGI(b []byte) (Cell, error) {
	if len(b) < 7 {
		return Cell{}, ErrShort
	}
	c, _ := DecodeLAI(b)
	c.CI = uint16(b[5])<<8 | uint16(b[6])
	c.Has |= HasCI
	return c, nil
}

// Mobile identity types (TS 24.008 10.5.1.4).
const (
	IDNone   = 0
	IDIMSI   = 1
	IDIMEI   = 2
	IDIMEISV = 3
	IDTMSI   = 4
)

// MobileID is a decoded TS 24.008 mobile identity value.
type MobileID struct {
	Type   uint8
	TMSI   uint32
	Digits Digits
}

// DecodeMobileID decodes the value part (after the length) of a mobile
// identity IE.
func DecodeMobileID(b []byte) (MobileID, error) {
	var m MobileID
	if len(b) == 0 {
		return m, ErrShort
	}
	m.Type = b[0] & 7
	switch m.Type {
	case IDIMSI, IDIMEI, IDIMEISV:
		odd := b[0]&8 != 0
		m.Digits.push(b[0] >> 4)
		for i, x := range b[1:] {
			m.Digits.push(x & 0xf)
			last := i == len(b)-2
			if last && !odd {
				break // high nibble of the last octet is filler
			}
			if !m.Digits.push(x >> 4) {
				return m, ErrTooLong
			}
		}
		return m, nil
	case IDTMSI:
		if len(b) < 5 {
			return m, ErrShort
		}
		m.TMSI = uint32(b[1])<<24 | uint32(b[2])<<16 | uint32(b[3])<<8 | uint32(b[4])
		return m, nil
	case IDNone:
		return m, nil
	}
	return m, ErrBadType
}

// RANDKey condenses a 16-octet authentication RAND (TS 24.008 10.5.3.1,
// TS 29.002 RAND) to 64 bits: enough to tell the challenges of one network
// apart, and it keeps Message fixed-size.
func RANDKey(b []byte) uint64 {
	if len(b) != 16 {
		return 0
	}
	var k uint64
	for i := range 8 {
		k = k<<8 | uint64(b[i]^b[i+8])
	}
	if k == 0 {
		k = 1
	}
	return k
}
