package wire

// PLMN is a public land mobile network identity. MNC has 2 or 3 digits.
type PLMN struct{ MCC, MNC string }

// LAI is a location area identity (TS 23.003 4.1).
type LAI struct {
	PLMN PLMN
	LAC  uint16
}

// CGI is a cell global identity (TS 23.003 4.3.1).
type CGI struct {
	LAI LAI
	CI  uint16
}

// Mobile identity types (TS 24.008 10.5.1.4).
const (
	IDIMSI   = 1
	IDIMEI   = 2
	IDIMEISV = 3
	IDTMSI   = 4
)

// MobileID is a mobile identity: Digits for IMSI/IMEI/IMEISV, TMSI for IDTMSI.
type MobileID struct {
	Type   uint8
	Digits string
	TMSI   uint32
}

// nibble converts one ASCII dial character to its BCD/TBCD value
// (0-9, '*'=0xA, '#'=0xB, 'a'..'c'=0xC..0xE); anything else maps to 0.
func nibble(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c == '*':
		return 0xa
	case c == '#':
		return 0xb
	case c >= 'a' && c <= 'c':
		return c - 'a' + 0xc
	case c >= 'A' && c <= 'C':
		return c - 'A' + 0xc
	}
	return 0
}

// appendTBCD appends digits packed two per octet, first digit in the low
// nibble, with a 0xF filler in the high nibble of the last octet when the
// count is odd (TS 29.002 TBCD-STRING, TS 24.008 BCD numbers).
func appendTBCD(b []byte, digits string) []byte {
	n := len(digits)
	for i := 0; i+1 < n; i += 2 {
		b = append(b, nibble(digits[i+1])<<4|nibble(digits[i]))
	}
	if n&1 == 1 {
		b = append(b, 0xf0|nibble(digits[n-1]))
	}
	return b
}

// tbcdLen is the number of octets appendTBCD writes for digits.
func tbcdLen(digits string) int { return (len(digits) + 1) / 2 }

// appendPLMN appends the 3-octet MCC/MNC encoding of TS 24.008 10.5.1.3.
func appendPLMN(b []byte, p PLMN) []byte {
	var mcc [3]byte
	for i := 0; i < 3 && i < len(p.MCC); i++ {
		mcc[i] = nibble(p.MCC[i])
	}
	var mnc [3]byte
	mnc[2] = 0xf
	for i := 0; i < 3 && i < len(p.MNC); i++ {
		mnc[i] = nibble(p.MNC[i])
	}
	return append(b, mcc[1]<<4|mcc[0], mnc[2]<<4|mcc[2], mnc[1]<<4|mnc[0])
}

// appendLAI appends the 5-octet LAI value (PLMN + LAC).
func appendLAI(b []byte, l LAI) []byte {
	b = appendPLMN(b, l.PLMN)
	return append(b, byte(l.LAC>>8), byte(l.LAC))
}

// appendCGI appends the 7-octet CGI value (PLMN + LAC + CI).
func appendCGI(b []byte, c CGI) []byte {
	b = appendLAI(b, c.LAI)
	return append(b, byte(c.CI>>8), byte(c.CI))
}

// appendMobileIDValue appends the value part of a Mobile identity IE
// (TS 24.008 10.5.1.4) without IEI or length.
func appendMobileIDValue(b []byte, id MobileID) []byte {
	if id.Type == IDTMSI {
		return append(b, 0xf4, byte(id.TMSI>>24), byte(id.TMSI>>16), byte(id.TMSI>>8), byte(id.TMSI))
	}
	d := id.Digits
	odd := byte(len(d) & 1)
	first := byte(0xf)
	if len(d) > 0 {
		first = nibble(d[0])
	}
	b = append(b, first<<4|odd<<3|id.Type&7)
	if len(d) > 1 {
		b = appendTBCD(b, d[1:])
	}
	return b
}

// mobileIDLen is the length of the value appendMobileIDValue writes.
func mobileIDLen(id MobileID) int {
	if id.Type == IDTMSI {
		return 5
	}
	return len(id.Digits)/2 + 1
}

// appendMobileIDLV appends a Mobile identity IE as LV.
func appendMobileIDLV(b []byte, id MobileID) []byte {
	b = append(b, byte(mobileIDLen(id)))
	return appendMobileIDValue(b, id)
}

// ---- BER helpers ----

// berStart appends tag and a one-octet length placeholder and returns the
// offset of the content; close it with berEnd. For multi-octet tags append
// the leading tag octets first and pass the last one here.
func berStart(b []byte, tag byte) ([]byte, int) {
	b = append(b, tag, 0)
	return b, len(b)
}

// berEnd back-patches the length of the TLV opened at start, switching to
// the long form (0x81 n or 0x82 hi lo) by shifting the content when it
// exceeds 127 octets.
func berEnd(b []byte, start int) []byte {
	n := len(b) - start
	switch {
	case n < 0x80:
		b[start-1] = byte(n)
	case n <= 0xff:
		b = append(b, 0)
		copy(b[start+1:], b[start:start+n])
		b[start-1] = 0x81
		b[start] = byte(n)
	default:
		b = append(b, 0, 0)
		copy(b[start+2:], b[start:start+n])
		b[start-1] = 0x82
		b[start] = byte(n >> 8)
		b[start+1] = byte(n)
	}
	return b
}

// lenStart/lenEnd do the same for one-octet (non-BER) lengths as used by
// DTAP, BSSAP and SCCP; the length is truncated to 8 bits.
func lenStart(b []byte) ([]byte, int) {
	b = append(b, 0)
	return b, len(b)
}

func lenEnd(b []byte, start int) []byte {
	b[start-1] = byte(len(b) - start)
	return b
}

// appendBERTBCD appends tag, length, TBCD digits.
func appendBERTBCD(b []byte, tag byte, digits string) []byte {
	b = append(b, tag, byte(tbcdLen(digits)))
	return appendTBCD(b, digits)
}

// appendBERAddr appends tag, length, 0x91 (international, ISDN/E.164) and
// the TBCD digits: an AddressString / ISDN-AddressString (TS 29.002).
func appendBERAddr(b []byte, tag byte, digits string) []byte {
	b = append(b, tag, byte(1+tbcdLen(digits)), 0x91)
	return appendTBCD(b, digits)
}
