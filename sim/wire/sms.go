package wire

import "time"

// SMS CP message types (TS 24.011 8.1.3).
const (
	CPDataType  = 0x01
	CPAckType   = 0x04
	CPErrorType = 0x10
)

// RP message type indicators (TS 24.011 8.2.2).
const (
	RPDataMSToNet  = 0x00
	RPDataNetToMS  = 0x01
	RPAckMSToNet   = 0x02
	RPAckNetToMS   = 0x03
	RPErrorMSToNet = 0x04
	RPErrorNetToMS = 0x05
)

// CPData appends a CP-DATA (TS 24.011 7.2.1) carrying rpdu.
func CPData(b []byte, ti uint8, fromOrig bool, rpdu []byte) []byte {
	b = append(b, tiOctet(ti, fromOrig, PDSMS), CPDataType, byte(len(rpdu)))
	return append(b, rpdu...)
}

// CPAck appends a CP-ACK (7.2.2).
func CPAck(b []byte, ti uint8, fromOrig bool) []byte {
	return append(b, tiOctet(ti, fromOrig, PDSMS), CPAckType)
}

// appendRPAddr appends an RP originator/destination address LV (8.2.5.1/2).
func appendRPAddr(b []byte, digits string) []byte {
	if digits == "" {
		return append(b, 0)
	}
	b = append(b, byte(1+tbcdLen(digits)), 0x91)
	return appendTBCD(b, digits)
}

// RPDataMO appends an MS->network RP-DATA (7.3.1.2): RP-OA empty,
// RP-DA the service centre.
func RPDataMO(b []byte, mr uint8, smsc string, tpdu []byte) []byte {
	b = append(b, RPDataMSToNet, mr, 0)
	b = appendRPAddr(b, smsc)
	b = append(b, byte(len(tpdu)))
	return append(b, tpdu...)
}

// RPDataMT appends a network->MS RP-DATA (7.3.1.1): RP-OA the service
// centre, RP-DA empty.
func RPDataMT(b []byte, mr uint8, smsc string, tpdu []byte) []byte {
	b = append(b, RPDataNetToMS, mr)
	b = appendRPAddr(b, smsc)
	b = append(b, 0, byte(len(tpdu)))
	return append(b, tpdu...)
}

// RPAck appends an RP-ACK (7.3.3) without RP-User data.
func RPAck(b []byte, mr uint8, fromMS bool) []byte {
	t := byte(RPAckNetToMS)
	if fromMS {
		t = RPAckMSToNet
	}
	return append(b, t, mr)
}

// gsm7 maps an ASCII character to the GSM 7-bit default alphabet
// (TS 23.038 6.2.1); characters without a same-position mapping become '?'.
func gsm7(c byte) byte {
	switch {
	case c == '@':
		return 0
	case c == '$':
		return 0x02
	case c == '_':
		return 0x11
	case c == '\n' || c == '\r':
		return c
	case c >= 0x20 && c <= 0x23, c >= 0x25 && c <= 0x3f, c >= 0x41 && c <= 0x5a, c >= 0x61 && c <= 0x7a:
		return c
	}
	return '?'
}

// appendPacked7 appends text as GSM 7-bit packed septets (TS 23.038 6.1.2.1)
// and, when cr, a trailing CR in the 7 spare bits of a full last octet
// (as USSD requires, 6.1.2.3.1).
func appendPacked7(b []byte, text string, cr bool) []byte {
	var acc uint32
	bits := uint(0)
	for i := 0; i < len(text); i++ {
		acc |= uint32(gsm7(text[i])) << bits
		bits += 7
		for bits >= 8 {
			b = append(b, byte(acc))
			acc >>= 8
			bits -= 8
		}
	}
	if bits > 0 {
		if cr && bits == 1 {
			acc |= 0x0d << 1
		}
		b = append(b, byte(acc))
	}
	return b
}

// packed7Len is the number of octets appendPacked7 writes for n septets.
func packed7Len(n int) int { return (n*7 + 7) / 8 }

// appendTPAddr appends a TP address (TS 23.040 9.1.2.5): digit count,
// type of address 0x91, semi-octets.
func appendTPAddr(b []byte, digits string) []byte {
	b = append(b, byte(len(digits)), 0x91)
	return appendTBCD(b, digits)
}

// SMSSubmit appends an SMS-SUBMIT TPDU (TS 23.040 9.2.2.2): relative
// validity period 24 h, PID 0, DCS 0 (GSM 7-bit), packed text.
func SMSSubmit(b []byte, mr uint8, dest string, text string) []byte {
	b = append(b, 0x11, mr)
	b = appendTPAddr(b, dest)
	b = append(b, 0x00, 0x00, 0xa7, byte(len(text)))
	return appendPacked7(b, text, false)
}

// bcd2 is a semi-octet pair with the tens digit in the high nibble swapped
// into the low one, as TP-SCTS requires (9.2.3.11).
func bcd2(v int) byte { return byte(v%10)<<4 | byte(v/10%10) }

// SMSDeliver appends an SMS-DELIVER TPDU (9.2.2.1) with the service centre
// time stamp unixSec in UTC, PID 0, DCS 0 and packed text.
func SMSDeliver(b []byte, orig string, unixSec int64, text string) []byte {
	b = append(b, 0x04)
	b = appendTPAddr(b, orig)
	b = append(b, 0x00, 0x00)
	t := time.Unix(unixSec, 0).UTC()
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	b = append(b, bcd2(y), bcd2(int(mo)), bcd2(d), bcd2(h), bcd2(mi), bcd2(s), 0x00, byte(len(text)))
	return appendPacked7(b, text, false)
}
