package wire

// SCCP message types (ITU-T Q.713 2.1).
const (
	SCCPCR   = 0x01
	SCCPCC   = 0x02
	SCCPCREF = 0x03
	SCCPRLSD = 0x04
	SCCPRLC  = 0x05
	SCCPDT1  = 0x06
	SCCPUDT  = 0x09
	SCCPXUDT = 0x11
)

// SCCP subsystem numbers (Q.713 3.4.2.2, TS 23.003 annex C).
const (
	SSNHLR   = 6
	SSNVLR   = 7
	SSNMSC   = 8
	SSNEIR   = 9
	SSNAUC   = 10
	SSNSGSN  = 149
	SSNGGSN  = 150
	SSNSCF   = 147
	SSNGMLC  = 145
	SSNBSSAP = 254
)

// Protocol classes and options (Q.713 3.6).
const (
	Class0       = 0x00
	Class1       = 0x01
	ClassReturn  = 0x80 // return message on error
	sccpClass2   = 0x02
	sccpHopCount = 0x0f
)

// Release causes (Q.713 3.11) and refusal causes (3.15) commonly used.
const (
	RLSDEndUserOriginated  = 0x00
	RLSDSCCPUserOriginated = 0x03
	CREFEndUserOriginated  = 0x00
	CREFSubsystemFailure   = 0x0b
	CREFUnequippedUser     = 0x0d
)

// Addr is an SCCP party address. GT "" routes on SSN (RI=1); otherwise
// routing is on the global title, GTI 4 with TT 0, NP E.164 and NAI
// international. PC is a 14-bit ITU point code included when HasPC.
type Addr struct {
	GT    string
	SSN   uint8
	PC    uint16
	HasPC bool
}

// Segment is the XUDT Segmentation parameter (Q.713 3.17).
type Segment struct {
	First     bool
	Remaining uint8
	LocalRef  uint32
}

// addrLen is the length of the address value appendAddr writes.
func addrLen(a Addr) int {
	n := 2 // address indicator + SSN
	if a.HasPC {
		n += 2
	}
	if a.GT != "" {
		n += 3 + tbcdLen(a.GT)
	}
	return n
}

// appendAddr appends a party address as LV (Q.713 3.4).
func appendAddr(b []byte, a Addr) []byte {
	ai := byte(0x02) // SSN indicator
	if a.HasPC {
		ai |= 0x01
	}
	if a.GT == "" {
		ai |= 0x40
	} else {
		ai |= 4 << 2
	}
	b = append(b, byte(addrLen(a)), ai)
	if a.HasPC {
		b = append(b, byte(a.PC), byte(a.PC>>8)&0x3f)
	}
	b = append(b, a.SSN)
	if a.GT != "" {
		es := byte(2) // BCD, even number of digits
		if len(a.GT)&1 == 1 {
			es = 1
		}
		b = append(b, 0x00, 0x10|es, 0x04)
		b = appendTBCD(b, a.GT)
	}
	return b
}

// appendRef appends a 3-octet local reference, least significant octet
// first as tshark and real equipment read it.
func appendRef(b []byte, r uint32) []byte {
	return append(b, byte(r), byte(r>>8), byte(r>>16))
}

// CR appends a Connection Request (Q.713 4.2), class 2, with the calling
// address (when not the zero value) and data as optional parameters.
func CR(b []byte, slr uint32, called, calling Addr, data []byte) []byte {
	b = append(b, SCCPCR)
	b = appendRef(b, slr)
	hasOpt := calling != (Addr{}) || len(data) > 0
	opt := byte(0)
	if hasOpt {
		opt = byte(2 + addrLen(called))
	}
	b = append(b, sccpClass2, 2, opt)
	b = appendAddr(b, called)
	if hasOpt {
		if calling != (Addr{}) {
			b = append(b, 0x04)
			b = appendAddr(b, calling)
		}
		if len(data) > 0 {
			b = append(b, 0x0f, byte(len(data)))
			b = append(b, data...)
		}
		b = append(b, 0x00)
	}
	return b
}

// CC appends a Connection Confirm (4.3), class 2, no optional part.
func CC(b []byte, dlr, slr uint32) []byte {
	b = append(b, SCCPCC)
	b = appendRef(b, dlr)
	b = appendRef(b, slr)
	return append(b, sccpClass2, 0)
}

// CREF appends a Connection Refused (4.4), no optional part.
func CREF(b []byte, dlr uint32, cause uint8) []byte {
	b = append(b, SCCPCREF)
	b = appendRef(b, dlr)
	return append(b, cause, 0)
}

// DT1 appends a Data Form 1 (4.8) with M bit 0.
func DT1(b []byte, dlr uint32, data []byte) []byte {
	b = append(b, SCCPDT1)
	b = appendRef(b, dlr)
	b = append(b, 0x00, 1, byte(len(data)))
	return append(b, data...)
}

// RLSD appends a Released (4.5), no optional part.
func RLSD(b []byte, dlr, slr uint32, cause uint8) []byte {
	b = append(b, SCCPRLSD)
	b = appendRef(b, dlr)
	b = appendRef(b, slr)
	return append(b, cause, 0)
}

// RLC appends a Release Complete (4.6).
func RLC(b []byte, dlr, slr uint32) []byte {
	b = append(b, SCCPRLC)
	b = appendRef(b, dlr)
	return appendRef(b, slr)
}

// UDT appends a Unitdata (4.10). class is 0 or 1, optionally | ClassReturn.
func UDT(b []byte, class uint8, called, calling Addr, data []byte) []byte {
	cdl, cgl := addrLen(called), addrLen(calling)
	b = append(b, SCCPUDT, class, 3, byte(3+cdl), byte(3+cdl+cgl))
	b = appendAddr(b, called)
	b = appendAddr(b, calling)
	b = append(b, byte(len(data)))
	return append(b, data...)
}

// XUDT appends an Extended Unitdata (4.18) with hop counter 15 and, when
// seg is not nil, the Segmentation parameter.
func XUDT(b []byte, class uint8, called, calling Addr, data []byte, seg *Segment) []byte {
	cdl, cgl := addrLen(called), addrLen(calling)
	opt := byte(0)
	if seg != nil {
		opt = byte(4 + cdl + cgl + len(data))
	}
	b = append(b, SCCPXUDT, class, sccpHopCount, 4, byte(4+cdl), byte(4+cdl+cgl), opt)
	b = appendAddr(b, called)
	b = appendAddr(b, calling)
	b = append(b, byte(len(data)))
	b = append(b, data...)
	if seg != nil {
		o := seg.Remaining & 0x0f
		if seg.First {
			o |= 0x80
		}
		if class&0x0f == Class1 {
			o |= 0x40
		}
		b = append(b, 0x10, 4, o)
		b = appendRef(b, seg.LocalRef)
		b = append(b, 0x00)
	}
	return b
}
