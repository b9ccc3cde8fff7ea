package bssap

import "github.com/sigprobe/sigprobe/decode/ident"

// MM message types (TS 24.008 10.4).
const (
	MMIMSIDetach        = 0x01
	MMLUAccept          = 0x02
	MMLUReject          = 0x04
	MMLURequest         = 0x08
	MMAuthReject        = 0x11
	MMAuthRequest       = 0x12
	MMAuthResponse      = 0x14
	MMIdentityRequest   = 0x18
	MMIdentityResponse  = 0x19
	MMTMSIReallocCmd    = 0x1a
	MMTMSIReallocCompl  = 0x1b
	MMAuthFailure       = 0x1c
	MMCMServiceAccept   = 0x21
	MMCMServiceReject   = 0x22
	MMCMServiceAbort    = 0x23
	MMCMServiceRequest  = 0x24
	MMCMReestablishment = 0x28
)

// RR, CC, SMS and SS message types used here.
const (
	RRPagingResponse        = 0x27
	RRCipheringModeComplete = 0x32
	CCSetup                 = 0x05
	CCEmergencySetup        = 0x0e
	CCFacility              = 0x3a
	CCDisconnect            = 0x25
	CCProgress              = 0x03
	CCStatus                = 0x3d
	CCHoldReject            = 0x1a
	CCRetrieveReject        = 0x1e
	CCNotify                = 0x3e
	SMSCPData               = 0x01
	SMSCPAck                = 0x04
	SMSCPError              = 0x10
	SSRegister              = 0x3b
	SSFacility              = 0x3a
	SSReleaseComplete       = 0x2a
)

// DTAP IEIs used here.
const (
	iemMobileID = 0x17
	iemLAI      = 0x13
	iemCalling  = 0x5c
	iemCalled   = 0x5e
	iemFacility = 0x1c
	iemSignal   = 0x34
	iemCause    = 0x08
)

func (m *Message) dtap(b []byte) error {
	if len(b) < 2 {
		return ErrDTAPShort
	}
	m.PD = b[0] & 0xf
	m.Type, m.Typed = b[1], true
	switch m.PD {
	case PDMM, PDCC, PDSS:
		m.Type &= 0x3f // N(SD) send sequence bits (TS 24.007 11.2.3.2.3)
	}
	v := b[2:]
	switch m.PD {
	case PDMM:
		return m.mm(v)
	case PDRR:
		if m.Type == RRPagingResponse {
			// CKSN, classmark 2 (LV), mobile identity (LV)
			if len(v) < 1 {
				return ErrDTAPShort
			}
			_, rest, err := lv(v[1:])
			if err != nil {
				return err
			}
			return m.mobileIDLV(rest)
		}
		if m.Type == RRCipheringModeComplete {
			return m.optional(v) // mobile equipment identity (IMEISV), TLV 0x17
		}
	case PDCC:
		switch m.Type {
		case CCFacility:
			f, _, err := lv(v)
			if err != nil {
				return err
			}
			m.Facility = f
			return nil
		case CCDisconnect, CCProgress, CCStatus, CCHoldReject, CCRetrieveReject:
			// a mandatory LV (cause or progress indicator) comes first
			first, rest, err := lv(v)
			if err != nil {
				return err
			}
			if m.Type != CCProgress {
				m.ccCause(first)
			}
			if m.Type == CCStatus {
				if len(rest) < 1 {
					return ErrDTAPShort
				}
				rest = rest[1:] // call state
			}
			return m.optional(rest)
		case CCNotify:
			return nil
		}
		return m.optional(v)
	case PDSS:
		if m.Type == SSFacility {
			f, _, err := lv(v)
			if err != nil {
				return err
			}
			m.Facility = f
			return nil
		}
		return m.optional(v)
	case PDSMS:
		if m.Type == SMSCPData {
			ud, _, err := lv(v)
			if err != nil {
				return err
			}
			return m.rp(ud)
		}
	}
	return nil
}

func (m *Message) mm(v []byte) error {
	switch m.Type {
	case MMLURequest:
		if len(v) < 7 {
			return ErrDTAPShort
		}
		m.LUType = v[0] & 0xf
		m.Has |= HasLUType
		lai, _ := ident.DecodeLAI(v[1:6])
		m.addCell(lai) // the LAI the MS last registered in, not where it is
		if err := m.mobileIDLV(v[7:]); err != nil {
			return err
		}
	case MMLUAccept, MMTMSIReallocCmd:
		if len(v) < 5 {
			return ErrDTAPShort
		}
		lai, _ := ident.DecodeLAI(v[:5])
		m.Loc = lai
		m.addCell(lai)
		if m.Type == MMTMSIReallocCmd {
			return m.mobileIDLV(v[5:])
		}
		return m.optional(v[5:])
	case MMLUReject, MMCMServiceReject, MMAuthReject:
		if m.Type != MMAuthReject {
			if len(v) < 1 {
				return ErrDTAPShort
			}
			m.Reject = v[0]
			m.Has |= HasRejCause
		}
	case MMIMSIDetach:
		if len(v) < 1 {
			return ErrDTAPShort
		}
		return m.mobileIDLV(v[1:])
	case MMAuthRequest:
		if len(v) < 17 {
			return ErrDTAPShort
		}
		m.RAND = ident.RANDKey(v[1:17]) // after the ciphering key sequence number
	case MMCMServiceRequest, MMCMReestablishment:
		if len(v) < 1 {
			return ErrDTAPShort
		}
		if m.Type == MMCMServiceRequest {
			m.CMType = v[0] & 0xf
			m.Has |= HasCMType
		}
		_, rest, err := lv(v[1:])
		if err != nil {
			return err
		}
		id, rest, err := lv(rest)
		if err != nil {
			return err
		}
		if err := m.setMobileID(id); err != nil {
			return err
		}
		return m.optional(rest)
	case MMIdentityRequest:
		if len(v) < 1 {
			return ErrDTAPShort
		}
		m.IDType = v[0] & 7
		m.Has |= HasIDType
	case MMIdentityResponse:
		return m.mobileIDLV(v)
	}
	return nil
}

// lv splits a length-value field off b.
func lv(b []byte) ([]byte, []byte, error) {
	if len(b) < 1 || int(b[0])+1 > len(b) {
		return nil, nil, ErrDTAPIE
	}
	n := int(b[0])
	return b[1 : 1+n], b[1+n:], nil
}

func (m *Message) mobileIDLV(b []byte) error {
	id, rest, err := lv(b)
	if err != nil {
		return err
	}
	if err := m.setMobileID(id); err != nil {
		return err
	}
	return m.optional(rest)
}

func (m *Message) setMobileID(v []byte) error {
	id, err := ident.DecodeMobileID(v)
	if err != nil {
		return ErrIdentity
	}
	switch id.Type {
	case ident.IDIMSI:
		m.IMSI = id.Digits
	case ident.IDIMEI:
		m.IMEI = id.Digits
	case ident.IDIMEISV:
		m.IMEISV = id.Digits
	case ident.IDTMSI:
		m.TMSI = id.TMSI
		m.Has |= HasTMSI
	}
	return nil
}

// optional walks the optional IEs of a TS 24.008 message: an IEI with bit 8
// set is a one-octet (type 1 or 2) IE, Signal is TV, the rest are TLV.
func (m *Message) optional(b []byte) error {
	for len(b) > 0 {
		iei := b[0]
		if iei&0x80 != 0 {
			b = b[1:]
			continue
		}
		if iei == iemSignal {
			if len(b) < 2 {
				return ErrDTAPIE
			}
			b = b[2:]
			continue
		}
		if iei == iemLAI && m.PD == PDMM { // CM re-establishment: TV, 5 octets
			if len(b) < 6 {
				return ErrDTAPIE
			}
			lai, _ := ident.DecodeLAI(b[1:6])
			m.addCell(lai)
			b = b[6:]
			continue
		}
		v, rest, err := lv(b[1:])
		if err != nil {
			return err
		}
		b = rest
		switch iei {
		case iemMobileID:
			if m.PD == PDMM || m.PD == PDRR {
				if err := m.setMobileID(v); err != nil {
					return err
				}
			}
		case iemCalled:
			if m.PD == PDCC {
				if err := m.Called.SetAddress(v, false); err != nil {
					return ErrDTAPIE
				}
			}
		case iemCalling:
			if m.PD == PDCC {
				if err := m.Calling.SetAddress(v, true); err != nil {
					return ErrDTAPIE
				}
			}
		case iemFacility:
			if m.PD == PDSS && m.Facility == nil {
				m.Facility = v
			}
		case iemCause:
			if m.PD == PDCC {
				m.ccCause(v)
			}
		}
	}
	return nil
}

// ccCause reads the cause value of a CC Cause IE (TS 24.008 10.5.4.11):
// octet 3 (coding standard, location), octet 3a when octet 3's extension
// bit is 0, then the 7-bit cause value. The first cause of a message wins.
func (m *Message) ccCause(v []byte) {
	if m.Has&HasCause != 0 || len(v) < 2 {
		return
	}
	i := 1
	if v[0]&0x80 == 0 {
		i = 2
	}
	if i < len(v) {
		m.Cause, m.Has = uint16(v[i]&0x7f), m.Has|HasCause
	}
}

// rp decodes the RP layer (TS 24.011 7.3) of a CP-DATA: for RP-DATA the
// originator and destination addresses.
func (m *Message) rp(b []byte) error {
	if len(b) < 2 {
		return ErrDTAPShort
	}
	mti := b[0] & 7
	if mti > 1 { // RP-ACK, RP-ERROR, RP-SMMA carry no addresses
		return nil
	}
	oa, rest, err := lv(b[2:])
	if err != nil {
		return err
	}
	da, rest, err := lv(rest)
	if err != nil {
		return err
	}
	if len(oa) > 0 {
		if err := m.RPOrig.SetAddress(oa, false); err != nil {
			return ErrDTAPIE
		}
	}
	if len(da) > 0 {
		if err := m.RPDest.SetAddress(da, false); err != nil {
			return ErrDTAPIE
		}
	}
	if ud, _, err := lv(rest); err == nil {
		m.tpAddr(ud, mti)
	}
	return nil
}

// tpAddr reads the peer address of the TPDU in RP-User-Data (TS 23.040
// 9.2.2): TP-DA of an SMS-SUBMIT from the MS (RP MTI 0), TP-OA of an
// SMS-DELIVER to it (RP MTI 1). An address that does not fit is left out:
// it is not needed to decode the rest.
func (m *Message) tpAddr(tpdu []byte, rpMTI byte) {
	var a []byte
	switch tp := byte(0xff); {
	case len(tpdu) > 0:
		tp = tpdu[0] & 3
		switch {
		case rpMTI == 0 && tp == 1 && len(tpdu) > 2: // SMS-SUBMIT: first octet, TP-MR, TP-DA
			a = tpdu[2:]
		case rpMTI == 1 && tp == 0 && len(tpdu) > 1: // SMS-DELIVER: first octet, TP-OA
			a = tpdu[1:]
		}
	}
	if len(a) < 2 {
		return
	}
	n := 2 + (int(a[0])+1)/2 // digit count, type of address, semi-octets
	if a[0] == 0 || n > len(a) {
		return
	}
	if m.TPAddr.SetAddress(a[1:n], false) != nil {
		m.TPAddr.N = 0
	}
}
