package bssap

import (
	"errors"

	"github.com/sigprobe/sigprobe/decode/ident"
)

// Sentinel errors.
var (
	ErrShort         = errors.New("bssap: short message")
	ErrDiscriminator = errors.New("bssap: unknown discriminator")
	ErrLength        = errors.New("bssap: length mismatch")
	ErrIE            = errors.New("bssmap: bad information element")
	ErrCell          = errors.New("bssmap: bad cell identifier")
	ErrDTAPShort     = errors.New("dtap: short message")
	ErrDTAPIE        = errors.New("dtap: bad information element")
	ErrIdentity      = errors.New("dtap: bad mobile identity")
)

// Discriminators (TS 48.006 9.3).
const (
	BSSMAP = 0
	DTAP   = 1
)

// Protocol discriminators (TS 24.007 11.2.3.1.1).
const (
	PDCC  = 3
	PDMM  = 5
	PDRR  = 6
	PDGMM = 8
	PDSMS = 9
	PDSM  = 10
	PDSS  = 11
)

// MaxCells is the number of cells kept from one message's lists.
const MaxCells = 16

// Presence flags.
const (
	HasTMSI uint16 = 1 << iota
	HasCause
	HasLUType
	HasCMType
	HasRejCause
	HasIDType
	HasDLCI
	CellsTruncated
)

// Message is a decoded BSSMAP or DTAP message. Decoding overwrites every
// field; L3 and Facility alias the input and are valid until it is reused.
type Message struct {
	Typed  bool  // the message type was read (fields before an error are valid)
	Disc   uint8 // BSSMAP or DTAP
	DLCI   uint8
	PD     uint8 // DTAP protocol discriminator
	Type   uint8 // BSSMAP message type or DTAP message type
	Has    uint16
	Cause  uint16 // BSSMAP cause (extended causes use 2 octets), or CC cause value (DTAP CC)
	LUType uint8  // MM location updating type (low nibble)
	CMType uint8  // MM CM service type
	Reject uint8  // MM reject cause
	RAND   uint64 // MM Authentication Request challenge (ident.RANDKey), 0 none
	IDType uint8  // MM identity type requested

	IMSI, IMEI, IMEISV ident.Digits
	TMSI               uint32

	Loc    ident.Cell // primary location
	NCells int
	Cells  [MaxCells]ident.Cell

	Called, Calling ident.Digits // CC BCD numbers
	RPOrig, RPDest  ident.Digits // SMS RP addresses
	// TPAddr is the other party of a short message: TP-DA of an
	// SMS-SUBMIT (MS to network), TP-OA of an SMS-DELIVER (network to MS).
	TPAddr ident.Digits

	L3 []byte // embedded DTAP: Complete Layer 3 Information's Layer 3
	// Information, or Cipher Mode Complete's Layer 3 Message Contents
	Facility []byte // SS Facility IE contents (ROS components)
}

// reset clears m for the next decode. The digit arrays and Cells are only
// read up to their counts, so only the counts are cleared: a full clear of
// the ~450-byte record showed in profiles.
func (m *Message) reset() {
	m.Typed, m.Disc, m.DLCI, m.PD, m.Type, m.Has, m.Cause = false, 0, 0, 0, 0, 0, 0
	m.LUType, m.CMType, m.Reject, m.IDType, m.RAND = 0, 0, 0, 0, 0
	m.IMSI.N, m.IMEI.N, m.IMEISV.N, m.TMSI = 0, 0, 0, 0
	m.Loc, m.NCells = ident.Cell{}, 0
	m.Called.N, m.Calling.N, m.RPOrig.N, m.RPDest.N, m.TPAddr.N = 0, 0, 0, 0, 0
	m.L3, m.Facility = nil, nil
}

func (m *Message) addCell(c ident.Cell) {
	if m.NCells == MaxCells {
		m.Has |= CellsTruncated
		return
	}
	m.Cells[m.NCells] = c
	m.NCells++
}

// DecodeFromBytes decodes one BSSAP message (the SCCP user data) into m.
func (m *Message) DecodeFromBytes(b []byte) error {
	m.reset()
	if len(b) < 2 {
		return ErrShort
	}
	switch b[0] {
	case BSSMAP:
		n := int(b[1])
		if n+2 > len(b) || n == 0 {
			return ErrLength
		}
		m.Disc = BSSMAP
		return m.bssmap(b[2 : 2+n])
	case DTAP:
		if len(b) < 3 {
			return ErrShort
		}
		n := int(b[2])
		if n+3 > len(b) {
			return ErrLength
		}
		m.Disc = DTAP
		m.DLCI = b[1]
		m.Has |= HasDLCI
		return m.dtap(b[3 : 3+n])
	}
	return ErrDiscriminator
}

// Looks reports whether b is framed like a BSSAP message (discriminator and
// length agree), to tell BSSAP from other SCCP users on connections whose
// subsystem is unknown.
func Looks(b []byte) bool {
	if len(b) >= 2 && b[0] == BSSMAP {
		return int(b[1])+2 == len(b)
	}
	if len(b) >= 3 && b[0] == DTAP {
		return int(b[2])+3 == len(b)
	}
	return false
}

// DecodeDTAP decodes a bare DTAP message (e.g. the Layer 3 Information of
// Complete Layer 3 Information) into m.
func (m *Message) DecodeDTAP(b []byte) error {
	m.reset()
	m.Disc = DTAP
	return m.dtap(b)
}
