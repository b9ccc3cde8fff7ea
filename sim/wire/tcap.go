package wire

// TCAP message tags (ITU-T Q.773 4.2).
const (
	TCBegin    = 0x62
	TCEnd      = 0x64
	TCContinue = 0x65
	TCAbort    = 0x67
)

// TCAP component tags (Q.773 4.2.2).
const (
	CompInvoke     = 0xa1
	CompResultLast = 0xa2
	CompError      = 0xa3
)

// P-Abort causes (Q.773 4.2.1).
const (
	PAbortUnrecognizedMessageType = 0
	PAbortUnrecognizedTID         = 1
	PAbortResourceLimitation      = 4
)

// ACN is a GSM MAP application context name 0.4.0.0.1.0.<Context>.<Version>;
// the zero value means no dialogue portion.
type ACN struct{ Context, Version uint8 }

// Component is one TCAP component. Op is the operation code, or the error
// code for CompError. Param is the BER-encoded parameter (nil for none).
type Component struct {
	Kind     uint8
	InvokeID uint8
	Op       uint8
	Param    []byte
}

// dialogueAsID is the OID 0.0.17.773.1.1.1 (Q.773 dialogue-as-id).
var dialogueAsID = [...]byte{0x06, 0x07, 0x00, 0x11, 0x86, 0x05, 0x01, 0x01, 0x01}

func appendTID(b []byte, tag byte, tid uint32) []byte {
	return append(b, tag, 4, byte(tid>>24), byte(tid>>16), byte(tid>>8), byte(tid))
}

func appendSmallInt(b []byte, v uint8) []byte {
	if v >= 0x80 {
		return append(b, 0x02, 2, 0, v)
	}
	return append(b, 0x02, 1, v)
}

// appendDialogue appends a dialogue portion holding an AARQ (Begin) or an
// accepting AARE (Continue/End) for acn.
func appendDialogue(b []byte, kind uint8, acn ACN) []byte {
	b, dp := berStart(b, 0x6b)
	b, ext := berStart(b, 0x28)
	b = append(b, dialogueAsID[:]...)
	b, sa := berStart(b, 0xa0)
	apdu := byte(0x61) // AARE
	if kind == TCBegin {
		apdu = 0x60 // AARQ
	}
	b, ap := berStart(b, apdu)
	b = append(b, 0x80, 0x02, 0x07, 0x80) // protocol-version version1
	b = append(b, 0xa1, 0x09, 0x06, 0x07, 0x04, 0x00, 0x00, 0x01, 0x00, acn.Context, acn.Version)
	if kind != TCBegin {
		// result accepted, result-source-diagnostic dialogue-service-user null
		b = append(b, 0xa2, 0x03, 0x02, 0x01, 0x00, 0xa3, 0x05, 0xa1, 0x03, 0x02, 0x01, 0x00)
	}
	b = berEnd(b, ap)
	b = berEnd(b, sa)
	b = berEnd(b, ext)
	return berEnd(b, dp)
}

// TCAP appends a TCAP message of kind TCBegin (OTID), TCContinue
// (OTID+DTID), TCEnd (DTID) or TCAbort (DTID + P-Abort cause
// resourceLimitation; comps are ignored). A dialogue portion (AARQ for
// Begin, accepting AARE otherwise) is added when acn is not zero.
func TCAP(b []byte, kind uint8, otid, dtid uint32, acn ACN, comps ...Component) []byte {
	b, m := berStart(b, kind)
	switch kind {
	case TCBegin:
		b = appendTID(b, 0x48, otid)
	case TCContinue:
		b = appendTID(b, 0x48, otid)
		b = appendTID(b, 0x49, dtid)
	default:
		b = appendTID(b, 0x49, dtid)
	}
	if kind == TCAbort {
		b = append(b, 0x4a, 1, PAbortResourceLimitation)
		return berEnd(b, m)
	}
	if acn != (ACN{}) {
		b = appendDialogue(b, kind, acn)
	}
	if len(comps) > 0 {
		var cp int
		b, cp = berStart(b, 0x6c)
		for i := range comps {
			b = Comp(b, comps[i])
		}
		b = berEnd(b, cp)
	}
	return berEnd(b, m)
}

// Comp appends a single component: Invoke {id, opcode, param},
// ReturnResultLast {id, SEQUENCE {opcode, param}} (no SEQUENCE when Param
// is nil) or ReturnError {id, errorCode, param}.
func Comp(b []byte, c Component) []byte {
	b, s := berStart(b, c.Kind)
	b = appendSmallInt(b, c.InvokeID)
	if c.Kind == CompResultLast {
		if c.Param != nil {
			var r int
			b, r = berStart(b, 0x30)
			b = appendSmallInt(b, c.Op)
			b = append(b, c.Param...)
			b = berEnd(b, r)
		}
		return berEnd(b, s)
	}
	b = appendSmallInt(b, c.Op)
	b = append(b, c.Param...)
	return berEnd(b, s)
}
