package sink

import "strconv"

// Digits is a string of up to 15 decimal digits (IMSI, MSISDN, IMEI, TAC)
// packed into 8 bytes: the length in the top byte, the value below, so leading
// zeros survive (IMSIs of MCC 001 start with "00"). Zero means "unknown".
// Rows carry Digits instead of strings so producing a row allocates nothing.
//
// A Digits may instead hold a pseudonym (sink/pseudonym): the top bit set
// (a length byte never has it) and 63 bits of a keyed hash below. It prints
// as 16 lowercase hex digits, so it can never be mistaken for an identity
// (at most 15 decimal digits) and an output writes it like any other.
type Digits uint64

// pseudonymBit marks a Digits that holds a pseudonym.
const pseudonymBit = 1 << 63

// PseudonymLen is the length of a pseudonym's text: 16 hex digits.
const PseudonymLen = 16

// Pseudonym makes the Digits of a pseudonym from the 63 low bits of h.
func Pseudonym(h uint64) Digits { return Digits(h | pseudonymBit) }

// IsPseudonym reports whether d holds a pseudonym rather than digits.
func (d Digits) IsPseudonym() bool { return d&pseudonymBit != 0 }

// MakeDigits packs ASCII digits; it returns 0 for anything that is not 1-15 digits.
func MakeDigits[T string | []byte](s T) Digits {
	if len(s) == 0 || len(s) > 15 {
		return 0
	}
	var v uint64
	for i := range len(s) {
		c := s[i]
		if c < '0' || c > '9' {
			return 0
		}
		v = v*10 + uint64(c-'0')
	}
	return Digits(uint64(len(s))<<56 | v)
}

// PackDigits packs n BCD digit values (0-9 each) from d.
func PackDigits(d []byte) Digits {
	if len(d) == 0 || len(d) > 15 {
		return 0
	}
	var v uint64
	for _, x := range d {
		if x > 9 {
			return 0
		}
		v = v*10 + uint64(x)
	}
	return Digits(uint64(len(d))<<56 | v)
}

// Len is the number of digits (of hex digits, PseudonymLen, for a pseudonym).
func (d Digits) Len() int {
	if d.IsPseudonym() {
		return PseudonymLen
	}
	return int(d >> 56)
}

// Value is the digits as a number (without the leading zeros); for a
// pseudonym, its 63 bits.
func (d Digits) Value() uint64 {
	if d.IsPseudonym() {
		return uint64(d) &^ pseudonymBit
	}
	return uint64(d) & (1<<56 - 1)
}

const hexDigits = "0123456789abcdef"

// Append appends the digits (a pseudonym's hex digits) to b.
func (d Digits) Append(b []byte) []byte {
	if d.IsPseudonym() {
		v := d.Value()
		for s := 60; s >= 0; s -= 4 {
			b = append(b, hexDigits[v>>uint(s)&15])
		}
		return b
	}
	n := d.Len()
	if n == 0 {
		return b
	}
	var buf [15]byte
	v := d.Value()
	for i := n - 1; i >= 0; i-- {
		buf[i] = byte('0' + v%10)
		v /= 10
	}
	return append(b, buf[:n]...)
}

// String returns the digits ("" when unknown).
func (d Digits) String() string { return string(d.Append(nil)) }

// HasPrefix reports whether the digits start with p (ASCII digits).
func (d Digits) HasPrefix(p string) bool {
	n := d.Len()
	if len(p) > n {
		return false
	}
	var buf [PseudonymLen]byte
	s := d.Append(buf[:0])
	return string(s[:len(p)]) == p
}

// MarshalText makes Digits print as its digits in JSON and YAML.
func (d Digits) MarshalText() ([]byte, error) { return d.Append(nil), nil }

// UnmarshalText parses digits or a pseudonym's 16 hex digits; "" is unknown.
func (d *Digits) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = 0
		return nil
	}
	if len(b) == PseudonymLen {
		p, ok := ParsePseudonym(b)
		if !ok {
			return strconv.ErrSyntax
		}
		*d = p
		return nil
	}
	v := MakeDigits(b)
	if v == 0 {
		return strconv.ErrSyntax
	}
	*d = v
	return nil
}

// ParsePseudonym parses the text of a pseudonym: 16 lowercase hex digits,
// the first one 0-7 (63 bits).
func ParsePseudonym[T string | []byte](s T) (Digits, bool) {
	if len(s) != PseudonymLen {
		return 0, false
	}
	var v uint64
	for i := range len(s) {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 | uint64(c-'0')
		case c >= 'a' && c <= 'f':
			v = v<<4 | uint64(c-'a'+10)
		default:
			return 0, false
		}
	}
	if v&pseudonymBit != 0 {
		return 0, false
	}
	return Pseudonym(v), true
}
