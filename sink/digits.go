package sink

import "strconv"

// Digits is a string of up to 15 decimal digits (IMSI, MSISDN, IMEI, TAC)
// packed into 8 bytes: the length in the top byte, the value below, so leading
// zeros survive (IMSIs of MCC 001 start with "00"). Zero means "unknown".
// Rows carry Digits instead of strings so producing a row allocates nothing.
type Digits uint64

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

// Len is the number of digits.
func (d Digits) Len() int { return int(d >> 56) }

// Value is the digits as a number (without the leading zeros).
func (d Digits) Value() uint64 { return uint64(d) & (1<<56 - 1) }

// Append appends the digits to b.
func (d Digits) Append(b []byte) []byte {
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
	var buf [15]byte
	s := d.Append(buf[:0])
	return string(s[:len(p)]) == p
}

// MarshalText makes Digits print as its digits in JSON and YAML.
func (d Digits) MarshalText() ([]byte, error) { return d.Append(nil), nil }

// UnmarshalText parses digits; "" is unknown.
func (d *Digits) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = 0
		return nil
	}
	v := MakeDigits(b)
	if v == 0 {
		return strconv.ErrSyntax
	}
	*d = v
	return nil
}
