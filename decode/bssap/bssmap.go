package bssap

import "github.com/sigprobe/sigprobe/decode/ident"

// BSSMAP message types (TS 48.008 3.2.2.1).
const (
	AssignmentRequest    = 0x01
	AssignmentComplete   = 0x02
	AssignmentFailure    = 0x03
	HandoverRequest      = 0x10
	HandoverRequired     = 0x11
	HandoverRequestAck   = 0x12
	HandoverCommand      = 0x13
	HandoverComplete     = 0x14
	HandoverSucceeded    = 0x15
	HandoverFailure      = 0x16
	HandoverPerformed    = 0x17
	HandoverCandEnquire  = 0x18
	HandoverCandResponse = 0x19
	HandoverRequiredRej  = 0x1a
	HandoverDetect       = 0x1b
	ClearCommand         = 0x20
	ClearComplete        = 0x21
	ClearRequest         = 0x22
	SAPInReject          = 0x25
	Confusion            = 0x26
	Suspend              = 0x28
	Resume               = 0x29
	CommonID             = 0x2f
	Reset                = 0x30
	ResetAck             = 0x31
	Overload             = 0x32
	ResetCircuit         = 0x34
	ResetCircuitAck      = 0x35
	Paging               = 0x52
	CipherModeCommand    = 0x53
	ClassmarkUpdate      = 0x54
	CipherModeComplete   = 0x55
	QueuingIndication    = 0x56
	CompleteLayer3       = 0x57
	ClassmarkRequest     = 0x58
	CipherModeReject     = 0x59
	LoadIndication       = 0x5a
	PerformLocationReq   = 0x2b
	PerformLocationResp  = 0x2d
	Block                = 0x40
	BlockingAck          = 0x41
	Unblock              = 0x42
	UnblockingAck        = 0x43
)

// BSSMAP information element identifiers used here (TS 48.008 3.2.2).
const (
	ieCause      = 0x04
	ieCellID     = 0x05
	ieIMSI       = 0x08
	ieTMSI       = 0x09
	ieL3Info     = 0x17
	ieL3Contents = 0x20
	ieCellIDList = 0x1a
)

// fixedLen gives the total length (identifier included) of the BSSMAP IEs
// that have no length octet; every other IE is TLV (TS 48.008 3.2.2).
var fixedLen = func() (t [256]uint8) {
	t[0x01] = 3 // circuit identity code
	for _, iei := range []byte{0x0c, 0x0d, 0x0e, 0x14, 0x15, 0x18, 0x19, 0x1c, 0x1d,
		0x21, 0x23, 0x24, 0x25, 0x2b, 0x2c, 0x2d, 0x2f, 0x31, 0x32, 0x33, 0x38,
		0x39, 0x3f, 0x40} {
		t[iei] = 2
	}
	t[0x7f] = 5  // call identifier
	t[0x83] = 17 // Kc128
	for _, iei := range []byte{0x86, 0x87, 0x88, 0x8a, 0x8b, 0x8d} {
		t[iei] = 2 // reroute/LCLS one-octet values
	}
	for _, iei := range []byte{0x85, 0x8c, 0x8e, 0x8f} {
		t[iei] = 1 // redirect attempt, LCLS flags, CSFB indication
	}
	t[0x1b] = 1 // response request
	t[0x35] = 1 // talker flag
	t[0x36] = 1 // connection release requested
	return t
}()

func (m *Message) bssmap(b []byte) error {
	m.Type, m.Typed = b[0], true
	b = b[1:]
	nCellID := 0
	for len(b) > 0 {
		iei := b[0]
		var v []byte
		if n := int(fixedLen[iei]); n != 0 {
			if n > len(b) {
				return ErrIE
			}
			v, b = b[1:n], b[n:]
		} else {
			if len(b) < 2 {
				return ErrIE
			}
			l := int(b[1])
			if l+2 > len(b) {
				return ErrIE
			}
			v, b = b[2:2+l], b[2+l:]
		}
		switch iei {
		case ieCause:
			if m.Has&HasCause != 0 || len(v) == 0 {
				break
			}
			m.Cause = uint16(v[0])
			if v[0]&0x80 != 0 && len(v) > 1 {
				m.Cause = uint16(v[0])<<8 | uint16(v[1])
			}
			m.Has |= HasCause
		case ieCellID:
			c, err := cellID(v)
			if err != nil {
				return err
			}
			nCellID++
			if c.Valid() {
				m.addCell(c)
				// Handover Request names the serving cell first and the
				// target second; the target is where the subscriber goes.
				if !m.Loc.Valid() || m.Type == HandoverRequest {
					m.Loc = c
				}
			}
		case ieCellIDList:
			if err := m.cellList(v); err != nil {
				return err
			}
		case ieIMSI:
			id, err := ident.DecodeMobileID(v)
			if err != nil || id.Type != ident.IDIMSI {
				return ErrIdentity
			}
			m.IMSI = id.Digits
		case ieTMSI:
			if len(v) != 4 {
				return ErrIE
			}
			m.TMSI = uint32(v[0])<<24 | uint32(v[1])<<16 | uint32(v[2])<<8 | uint32(v[3])
			m.Has |= HasTMSI
		case ieL3Info:
			if m.Type == CompleteLayer3 {
				m.L3 = v
			}
		case ieL3Contents:
			if m.Type == CipherModeComplete {
				m.L3 = v // RR Ciphering Mode Complete, often with the IMEISV
			}
		}
	}
	return nil
}

// cellID decodes a Cell Identifier IE value (TS 48.008 3.2.2.17).
func cellID(v []byte) (ident.Cell, error) {
	if len(v) < 1 {
		return ident.Cell{}, ErrCell
	}
	c, _, err := cellElem(v[0]&0xf, v[1:])
	return c, err
}

// cellElem decodes one cell identification of discriminator d from b and
// returns it with its length.
func cellElem(d uint8, b []byte) (ident.Cell, int, error) {
	var c ident.Cell
	var err error
	switch d {
	case 0: // CGI
		c, err = ident.DecodeCGI(b)
		return c, 7, cellErr(err)
	case 1: // LAC + CI
		if len(b) < 4 {
			return c, 0, ErrCell
		}
		c.LAC, c.CI = be16(b), be16(b[2:])
		c.Has = ident.HasLAC | ident.HasCI
		return c, 4, nil
	case 2: // CI
		if len(b) < 2 {
			return c, 0, ErrCell
		}
		c.CI, c.Has = be16(b), ident.HasCI
		return c, 2, nil
	case 3, 6: // no cell / all cells of the BSS
		return c, 0, nil
	case 4: // LAI
		c, err = ident.DecodeLAI(b)
		return c, 5, cellErr(err)
	case 5: // LAC
		if len(b) < 2 {
			return c, 0, ErrCell
		}
		c.LAC, c.Has = be16(b), ident.HasLAC
		return c, 2, nil
	case 8, 9: // PLMN, LAC, RNC-ID (UTRAN / cdma2000 targets)
		if len(b) < 7 {
			return c, 0, ErrCell
		}
		c, _ = ident.DecodeLAI(b)
		return c, 7, nil
	case 10: // LAC + RNC-ID
		if len(b) < 4 {
			return c, 0, ErrCell
		}
		c.LAC, c.Has = be16(b), ident.HasLAC
		return c, 4, nil
	case 11: // SAI: PLMN, LAC, SAC
		c, err = ident.DecodeCGI(b)
		c.Has = c.Has&^ident.HasCI | ident.HasSAC
		return c, 7, cellErr(err)
	}
	return c, 0, ErrCell
}

func cellErr(err error) error {
	if err != nil {
		return ErrCell
	}
	return nil
}

// cellList decodes a Cell Identifier List IE value (TS 48.008 3.2.2.27).
func (m *Message) cellList(v []byte) error {
	if len(v) < 1 {
		return ErrCell
	}
	d := v[0] & 0xf
	v = v[1:]
	for len(v) > 0 {
		c, n, err := cellElem(d, v)
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		m.addCell(c)
		v = v[n:]
	}
	return nil
}

func be16(b []byte) uint16 { return uint16(b[0])<<8 | uint16(b[1]) }
