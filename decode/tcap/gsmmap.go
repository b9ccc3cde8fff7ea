package tcap

import "github.com/sigprobe/sigprobe/decode/ident"

// MAP operation codes (3GPP TS 29.002 17.5).
const (
	OpUpdateLocation         = 2
	OpCancelLocation         = 3
	OpProvideRoamingNumber   = 4
	OpInsertSubscriberData   = 7
	OpSendRoutingInfo        = 22
	OpUpdateGprsLocation     = 23
	OpCheckIMEI              = 43
	OpMTForwardSM            = 44
	OpSendRoutingInfoForSM   = 45
	OpMOForwardSM            = 46
	OpSendIdentification     = 55
	OpSendAuthenticationInfo = 56
	OpProcessUnstructuredSS  = 59
	OpUnstructuredSSRequest  = 60
	OpUnstructuredSSNotify   = 61
	OpReadyForSM             = 66
	OpPurgeMS                = 67
	OpProvideSubscriberInfo  = 70
	OpAnyTimeInterrogation   = 71
)

// MAP holds what a MAP operation says about the subscriber and the network
// nodes serving it. Digits with N == 0 are absent.
type MAP struct {
	IMSI, MSISDN, IMEI ident.Digits
	VLR, MSC, HLR      ident.Digits
	CGI                ident.Cell
	// RANDs of the authentication vectors in a sendAuthenticationInfo
	// result (ident.RANDKey): a tracker ties a later Authentication
	// Request to the IMSI they were fetched for.
	RANDs [5]uint64
	NRAND uint8
	// sendIdentification: the TMSI the new VLR asks the old one about and
	// the location area the subscriber comes from (HasPrevLAI).
	TMSI       uint32
	HasTMSI    bool
	PrevLAI    ident.Cell
	HasPrevLAI bool
}

var (
	tOctets = T(Universal, 4)
	tSeq    = tagSequence
)

func ctx(n uint32) Tag  { return T(Context, n) }
func ctxC(n uint32) Tag { return T(Context|Constructed, n) }

// DecodeMAP extracts identities from the parameter of component c, whose
// operation is op (for a result without its own operation code the caller
// may pass the invoke's). Unknown operations leave out untouched.
func DecodeMAP(op int32, c *Component, out *MAP) error {
	if c.Param == nil {
		return nil
	}
	t, p := c.ParamTag, c.Param
	inv := c.Kind == Invoke
	res := c.Kind == ReturnResultLast || c.Kind == ReturnResultNotLast
	switch {
	case inv && op == OpUpdateLocation:
		// UpdateLocationArg: imsi, msc-Number [1], vlr-Number, ...
		return walk(p, func(i int, t Tag, v []byte) error {
			switch {
			case t == tOctets && out.IMSI.N == 0:
				return out.IMSI.SetTBCD(v)
			case t == ctx(1):
				return out.MSC.SetAddress(v, false)
			case t == tOctets:
				return out.VLR.SetAddress(v, false)
			}
			return nil
		})
	case res && (op == OpUpdateLocation || op == OpUpdateGprsLocation):
		if t == tSeq {
			return walk(p, func(i int, t Tag, v []byte) error {
				if i == 0 && t == tOctets {
					return out.HLR.SetAddress(v, false)
				}
				return nil
			})
		}
	case inv && op == OpUpdateGprsLocation:
		return walk(p, func(i int, t Tag, v []byte) error {
			if i == 0 && t == tOctets {
				return out.IMSI.SetTBCD(v)
			}
			return nil
		})
	case inv && (op == OpCancelLocation || op == OpPurgeMS):
		if t == tOctets { // v1/v2 Identity: imsi
			return out.IMSI.SetTBCD(p)
		}
		return walk(p, func(i int, t Tag, v []byte) error {
			switch {
			case t == tOctets && out.IMSI.N == 0:
				return out.IMSI.SetTBCD(v)
			case t == tSeq && out.IMSI.N == 0: // imsi-WithLMSI
				return walk(v, func(i int, t Tag, v []byte) error {
					if i == 0 && t == tOctets {
						return out.IMSI.SetTBCD(v)
					}
					return nil
				})
			case op == OpPurgeMS && t == ctx(0):
				return out.VLR.SetAddress(v, false)
			}
			return nil
		})
	case res && op == OpSendAuthenticationInfo:
		out.vectors(p, 0)
	case inv && op == OpSendAuthenticationInfo:
		if t == tOctets {
			return out.IMSI.SetTBCD(p)
		}
		return walk(p, func(i int, t Tag, v []byte) error {
			if t == ctx(0) {
				return out.IMSI.SetTBCD(v)
			}
			return nil
		})
	case inv && op == OpSendIdentification:
		// v2: the argument is the TMSI itself; v3: SendIdentificationArg
		// (TS 29.002 8.1.4): tmsi, numberOfRequestedVectors, ...,
		// msc-Number, previous-LAI [0], hopCounter [1], ..., newVLR-Number [3].
		if t == tOctets {
			return out.setTMSI(p)
		}
		return walk(p, func(i int, t Tag, v []byte) error {
			switch {
			case i == 0 && t == tOctets:
				return out.setTMSI(v)
			case t == tOctets:
				return out.MSC.SetAddress(v, false)
			case t == ctx(0):
				c, err := ident.DecodeLAI(v)
				if err != nil {
					return err
				}
				out.PrevLAI, out.HasPrevLAI = c, true
			case t == ctx(3):
				return out.VLR.SetAddress(v, false)
			}
			return nil
		})
	case res && op == OpSendIdentification:
		// SendIdentificationRes: v2 SEQUENCE, v3 [3] SEQUENCE; imsi first
		// (optional in v3), then the authentication sets the old VLR
		// hands over — v2 a SEQUENCE OF, v3 a CHOICE of tripletList [0] or
		// quintupletList [1]. Only those are searched for RANDs: the
		// current security context [2] holds a 16-octet CK that would
		// look like one.
		if t != tSeq && t != ctxC(3) {
			return nil
		}
		return walk(p, func(i int, t Tag, v []byte) error {
			switch {
			case i == 0 && t == tOctets:
				return out.IMSI.SetTBCD(v)
			case t == tSeq, t == ctxC(0), t == ctxC(1):
				out.vectors(v, 0)
			}
			return nil
		})
	case inv && (op == OpInsertSubscriberData || op == OpReadyForSM):
		return walk(p, func(i int, t Tag, v []byte) error {
			switch t {
			case ctx(0):
				return out.IMSI.SetTBCD(v)
			case ctx(1):
				if op == OpInsertSubscriberData {
					return out.MSISDN.SetAddress(v, false)
				}
			}
			return nil
		})
	case inv && op == OpProvideRoamingNumber:
		return walk(p, func(i int, t Tag, v []byte) error {
			switch t {
			case ctx(0):
				return out.IMSI.SetTBCD(v)
			case ctx(1):
				return out.MSC.SetAddress(v, false)
			case ctx(2):
				return out.MSISDN.SetAddress(v, false)
			}
			return nil
		})
	case inv && op == OpSendRoutingInfo:
		return walk(p, func(i int, t Tag, v []byte) error {
			if t == ctx(0) {
				return out.MSISDN.SetAddress(v, false)
			}
			return nil
		})
	case res && op == OpSendRoutingInfo:
		return walk(p, func(i int, t Tag, v []byte) error {
			switch {
			case t == ctx(9), i == 0 && t == tOctets: // v3 imsi [9]; v2 imsi first
				return out.IMSI.SetTBCD(v)
			}
			return nil
		})
	case inv && op == OpSendRoutingInfoForSM:
		return walk(p, func(i int, t Tag, v []byte) error {
			if t == ctx(0) {
				return out.MSISDN.SetAddress(v, false)
			}
			return nil
		})
	case res && op == OpSendRoutingInfoForSM:
		return walk(p, func(i int, t Tag, v []byte) error {
			switch t {
			case tOctets:
				if i == 0 {
					return out.IMSI.SetTBCD(v)
				}
			case ctxC(0): // locationInfoWithLMSI: networkNode-Number [1]
				return walk(v, func(i int, t Tag, v []byte) error {
					if t == ctx(1) {
						return out.MSC.SetAddress(v, false)
					}
					return nil
				})
			}
			return nil
		})
	case inv && (op == OpMOForwardSM || op == OpMTForwardSM):
		// sm-RP-DA, sm-RP-OA, sm-RP-UI, ..., imsi (mo-forwardSM v3)
		return walk(p, func(i int, t Tag, v []byte) error {
			switch {
			case i == 0 && t == ctx(0):
				return out.IMSI.SetTBCD(v)
			case i == 1 && t == ctx(2):
				return out.MSISDN.SetAddress(v, false)
			case i >= 3 && t == tOctets && op == OpMOForwardSM:
				return out.IMSI.SetTBCD(v)
			}
			return nil
		})
	case inv && op == OpProvideSubscriberInfo:
		return walk(p, func(i int, t Tag, v []byte) error {
			if t == ctx(0) {
				return out.IMSI.SetTBCD(v)
			}
			return nil
		})
	case inv && op == OpAnyTimeInterrogation:
		return walk(p, func(i int, t Tag, v []byte) error {
			if t != ctxC(0) {
				return nil
			}
			return walk(v, func(i int, t Tag, v []byte) error {
				switch t {
				case ctx(0):
					return out.IMSI.SetTBCD(v)
				case ctx(1):
					return out.MSISDN.SetAddress(v, false)
				}
				return nil
			})
		})
	case res && (op == OpProvideSubscriberInfo || op == OpAnyTimeInterrogation):
		return walk(p, func(i int, t Tag, v []byte) error {
			if i == 0 && t == tSeq {
				return subscriberInfo(v, out)
			}
			return nil
		})
	case inv && (op == OpProcessUnstructuredSS || op == OpUnstructuredSSRequest || op == OpUnstructuredSSNotify):
		return walk(p, func(i int, t Tag, v []byte) error {
			if t == ctx(0) {
				return out.MSISDN.SetAddress(v, false)
			}
			return nil
		})
	case inv && op == OpCheckIMEI:
		if t == tOctets {
			return setIMEI(&out.IMEI, p)
		}
		return walk(p, func(i int, t Tag, v []byte) error {
			if i == 0 && t == tOctets {
				return setIMEI(&out.IMEI, v)
			}
			return nil
		})
	}
	return nil
}

// setTMSI decodes a MAP TMSI: an OCTET STRING of 1 to 4 octets (TS 29.002
// 17.7.8, TS 23.003 2.4), kept as the big-endian number the A interface
// carries.
func (out *MAP) setTMSI(v []byte) error {
	if len(v) == 0 || len(v) > 4 {
		return ErrParam
	}
	var x uint32
	for _, c := range v {
		x = x<<8 | uint32(c)
	}
	out.TMSI, out.HasTMSI = x, true
	return nil
}

// subscriberInfo decodes SubscriberInfo (TS 29.002 8.11.2).
func subscriberInfo(b []byte, out *MAP) error {
	return walk(b, func(i int, t Tag, v []byte) error {
		switch t {
		case ctxC(0): // locationInformation
			return walk(v, func(i int, t Tag, v []byte) error {
				switch t {
				case ctx(1):
					return out.VLR.SetAddress(v, false)
				case ctx(6):
					return out.MSC.SetAddress(v, false)
				case ctxC(3):
					t, e, _, err := next(v)
					if err != nil {
						return err
					}
					var c ident.Cell
					switch t {
					case ctx(0):
						c, err = ident.DecodeCGI(e)
					case ctx(1):
						c, err = ident.DecodeLAI(e)
					}
					if err != nil {
						return ErrParam
					}
					out.CGI = c
				}
				return nil
			})
		case ctx(5):
			return setIMEI(&out.IMEI, v)
		}
		return nil
	})
}

// setIMEI decodes a MAP IMEI (8 TBCD octets: 15 digits and a spare digit,
// TS 23.003 6.2.1) into its 15 digits.
func setIMEI(d *ident.Digits, v []byte) error {
	if err := d.SetTBCD(v); err != nil {
		return err
	}
	if d.N == 16 {
		d.N = 15
	}
	return nil
}

// walk calls fn for each element of a constructed value, with its index.
func walk(b []byte, fn func(i int, t Tag, v []byte) error) error {
	for i := 0; len(b) > 0; i++ {
		t, v, rest, err := next(b)
		if err != nil {
			return err
		}
		if err := fn(i, t, v); err != nil {
			return ErrParam
		}
		b = rest
	}
	return nil
}

// vectors collects the RAND of every authentication set in b: a SEQUENCE
// (triplet, quintuplet, v1/v2 AuthenticationSet) whose first element is a
// 16-octet OCTET STRING, however deep the version's CHOICEs nest it.
func (out *MAP) vectors(b []byte, depth int) {
	if depth > 4 {
		return
	}
	walk(b, func(i int, t Tag, v []byte) error {
		if !t.Constructed() {
			return nil
		}
		if ft, fv, _, err := next(v); err == nil && ft == tOctets && len(fv) == 16 {
			if int(out.NRAND) < len(out.RANDs) {
				out.RANDs[out.NRAND] = ident.RANDKey(fv)
				out.NRAND++
			}
			return nil
		}
		out.vectors(v, depth+1)
		return nil
	})
}
