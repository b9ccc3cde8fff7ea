package tcap

// TCAP message types (Q.773 application tags).
const (
	Unidirectional = 1
	Begin          = 2
	End            = 4
	Continue       = 5
	Abort          = 7
)

// Component kinds (Q.773 context tags).
const (
	Invoke              = 1
	ReturnResultLast    = 2
	ReturnError         = 3
	Reject              = 4
	ReturnResultNotLast = 7
)

var (
	tagOTID      = T(Application, 8)
	tagDTID      = T(Application, 9)
	tagDialogue  = T(Application|Constructed, 11)
	tagComps     = T(Application|Constructed, 12)
	tagPAbort    = T(Application, 10)
	tagExternal  = T(Universal|Constructed, 8)
	tagOID       = T(Universal, 6)
	tagInteger   = T(Universal, 2)
	tagSequence  = T(Universal|Constructed, 16)
	tagSingleASN = T(Context|Constructed, 0)
	tagACN       = T(Context|Constructed, 1)
)

// MaxComponents is the number of components kept per TCAP message.
const MaxComponents = 8

// Component is one ROS component. Param aliases the input.
type Component struct {
	Kind        uint8 // Invoke, ReturnResultLast, ...
	HasInvokeID bool
	HasOp       bool // operation code present (local)
	GlobalOp    bool // operation code is a global (OID) value: Op unset
	HasErr      bool
	InvokeID    int32
	Op          int32
	Err         int32 // local error code of ReturnError
	ParamTag    Tag
	Param       []byte // parameter value, nil when absent
}

// Message is a decoded TCAP message. DecodeFromBytes overwrites every field;
// slices alias the input and are valid until it is reused.
type Message struct {
	Type      uint8
	HasOTID   bool
	HasDTID   bool
	HasACN    bool
	OTID      uint32 // transaction ids (up to 4 octets) as big-endian numbers
	DTID      uint32
	ACN       uint8 // application-context-name: second-to-last arc (MAP AC id)
	ACVersion uint8 // last arc (MAP version)
	NComp     int
	Comp      [MaxComponents]Component
}

func tid(v []byte) uint32 {
	var x uint32
	for i, c := range v {
		if i == 4 {
			break
		}
		x = x<<8 | uint32(c)
	}
	return x
}

// DecodeFromBytes decodes one ITU TCAP message.
func (m *Message) DecodeFromBytes(b []byte) error {
	m.Type, m.NComp = 0, 0
	m.HasOTID, m.HasDTID, m.HasACN = false, false, false
	m.OTID, m.DTID, m.ACN, m.ACVersion = 0, 0, 0, 0
	tag, v, _, err := next(b)
	if err != nil {
		return err
	}
	if tag>>24 != Application|Constructed {
		return ErrNotTCAP
	}
	switch n := uint32(tag & 0xffffff); n {
	case Unidirectional, Begin, End, Continue, Abort:
		m.Type = uint8(n)
	default:
		return ErrNotTCAP
	}
	for len(v) > 0 {
		t, e, rest, err := next(v)
		if err != nil {
			return err
		}
		v = rest
		switch t {
		case tagOTID:
			m.OTID, m.HasOTID = tid(e), true
		case tagDTID:
			m.DTID, m.HasDTID = tid(e), true
		case tagDialogue:
			m.dialogue(e) // the dialogue is informative; its errors are ignored
		case tagComps:
			return m.components(e)
		}
	}
	return nil
}

// dialogue finds the application-context-name in a dialogue portion.
func (m *Message) dialogue(b []byte) {
	t, e, _, err := next(b)
	if err != nil || t != tagExternal {
		return
	}
	for len(e) > 0 {
		t, v, rest, err := next(e)
		if err != nil {
			return
		}
		e = rest
		if t != tagSingleASN {
			continue
		}
		_, pdu, _, err := next(v) // AARQ/AARE/ABRT
		if err != nil {
			return
		}
		for len(pdu) > 0 {
			t, f, rest, err := next(pdu)
			if err != nil {
				return
			}
			pdu = rest
			if t != tagACN {
				continue
			}
			t, oid, _, err := next(f)
			if err != nil || t != tagOID {
				return
			}
			m.setACN(oid)
			return
		}
	}
}

func (m *Message) setACN(oid []byte) {
	var arcs [2]uint32
	var cur uint32
	n := 0
	for _, c := range oid {
		cur = cur<<7 | uint32(c&0x7f)
		if c&0x80 == 0 {
			arcs[0], arcs[1] = arcs[1], cur
			cur = 0
			n++
		}
	}
	if n < 2 {
		return
	}
	m.ACN, m.ACVersion, m.HasACN = uint8(arcs[0]), uint8(arcs[1]), true
}

func (m *Message) components(b []byte) error {
	n, err := DecodeComponents(b, m.Comp[:])
	m.NComp = n
	return err
}

// DecodeComponents decodes a sequence of ROS components (a TCAP component
// portion's contents, or a TS 24.080 Facility IE value) into dst and returns
// how many it filled.
func DecodeComponents(b []byte, dst []Component) (int, error) {
	n := 0
	for len(b) > 0 {
		t, v, rest, err := next(b)
		if err != nil {
			return n, err
		}
		b = rest
		if n == len(dst) {
			return n, ErrTooMany
		}
		c := &dst[n]
		*c = Component{}
		if t>>24 != Context|Constructed {
			return n, ErrComponent
		}
		c.Kind = uint8(t & 0xff)
		if err := c.decode(v); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func (c *Component) decode(v []byte) error {
	switch c.Kind {
	case Invoke, ReturnResultLast, ReturnResultNotLast, ReturnError, Reject:
	default:
		return ErrComponent
	}
	t, e, rest, err := next(v)
	if err != nil {
		return err
	}
	if t == tagInteger {
		if c.InvokeID, err = integer(e); err != nil {
			return err
		}
		c.HasInvokeID = true
	} else if c.Kind != Reject {
		return ErrComponent
	}
	v = rest
	switch c.Kind {
	case Invoke:
		t, e, rest, err = next(v)
		if err != nil {
			return err
		}
		if t == T(Context, 0) { // linkedID
			if t, e, rest, err = next(rest); err != nil {
				return err
			}
		}
		if err = c.setOp(t, e); err != nil {
			return err
		}
		c.setParam(rest)
	case ReturnResultLast, ReturnResultNotLast:
		if len(v) == 0 {
			return nil
		}
		t, e, _, err = next(v)
		if err != nil {
			return err
		}
		if t != tagSequence {
			return ErrComponent
		}
		t, f, rest, err := next(e)
		if err != nil {
			return err
		}
		if err = c.setOp(t, f); err != nil {
			return err
		}
		c.setParam(rest)
	case ReturnError:
		t, e, rest, err = next(v)
		if err != nil {
			return err
		}
		switch t {
		case tagInteger:
			if c.Err, err = integer(e); err != nil {
				return err
			}
			c.HasErr = true
		case tagOID:
		default:
			return ErrComponent
		}
		c.setParam(rest)
	}
	return nil
}

func (c *Component) setOp(t Tag, e []byte) error {
	switch t {
	case tagInteger:
		op, err := integer(e)
		if err != nil {
			return err
		}
		c.Op, c.HasOp = op, true
	case tagOID:
		c.GlobalOp = true
	default:
		return ErrComponent
	}
	return nil
}

func (c *Component) setParam(b []byte) {
	if len(b) == 0 {
		return
	}
	t, v, _, err := next(b)
	if err != nil {
		return
	}
	c.ParamTag, c.Param = t, v
}
