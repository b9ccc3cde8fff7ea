package decode

import (
	"github.com/sigprobe/sigprobe/decode/bssap"
	"github.com/sigprobe/sigprobe/decode/ident"
	"github.com/sigprobe/sigprobe/decode/tcap"
)

// Proto is the application protocol of a Message.
type Proto uint8

// Protocols.
const (
	ProtoNone Proto = iota
	ProtoBSSMAP
	ProtoDTAP
	ProtoMAP
)

// String returns the JSON name of p.
func (p Proto) String() string {
	switch p {
	case ProtoBSSMAP:
		return "bssmap"
	case ProtoDTAP:
		return "dtap"
	case ProtoMAP:
		return "map"
	}
	return ""
}

// Comp is the ROS component kind of a MAP Message.
type Comp uint8

// Component kinds.
const (
	CompNone Comp = iota
	CompInvoke
	CompResult
	CompError
	CompReject // ROS reject (tshark shows it as GSM MAP too)
)

// String returns the JSON name of c.
func (c Comp) String() string {
	switch c {
	case CompInvoke:
		return "invoke"
	case CompResult:
		return "result"
	case CompError:
		return "error"
	case CompReject:
		return "reject"
	}
	return ""
}

// Presence flags of Message.Has.
const (
	HasMTP         uint32 = 1 << iota // OPC, DPC, SI, NI, SLS
	HasSCCP                           // SCCPType, SSNs, GTs
	HasSLR                            // SCCP source local reference
	HasDLR                            // SCCP destination local reference
	HasType                           // Type (a MAP result may lack its opcode)
	HasDLCI                           // BSSAP DLCI (DTAP)
	HasTMSI                           // TMSI (BSSMAP, DTAP, MAP sendIdentification)
	HasLUType                         // MM location updating type
	HasCMType                         // MM CM service type
	HasRejCause                       // MM reject cause
	HasCause                          // BSSMAP cause or MAP error code
	HasTCAP                           // TCAPType
	HasOTID                           // TCAP originating transaction id
	HasDTID                           // TCAP destination transaction id
	HasInvokeID                       // ROS invoke id
	HasACN                            // application context name
	CellsTruncated                    // more cells than MaxCells
	HasCalledPC                       // SCCP called party point code
	HasCallingPC                      // SCCP calling party point code
)

// MaxCells is the capacity of Message.Cells.
const MaxCells = bssap.MaxCells

// Message is one decoded BSSMAP, DTAP or MAP message: a flat, fixed-size
// record (no pointers), so a slice of them can be reused without allocation.
// Digits fields with N == 0 and Cells with Has == 0 are absent.
type Message struct {
	Frame uint64 // 1-based number of the packet that completed the message
	TsNs  int64  // capture time of that packet, ns since the Unix epoch
	Assoc uint64 // SCTP association: key of the path it was first seen on, the same on all its paths and both ways
	Dir   uint8  // 0 or 1: which side of Assoc sent the message
	Has   uint32 // presence flags

	// MTP3 routing label (M3UA protocol data or MTP3).
	OPC, DPC    uint32
	SI, NI, SLS uint8

	// SCCP.
	SCCPType              uint8
	CalledSSN, CallingSSN uint8
	CalledPC, CallingPC   uint16
	SLR, DLR              uint32
	CalledGT, CallingGT   ident.Digits

	// Application.
	Proto Proto
	Comp  Comp  // MAP component kind
	PD    uint8 // DTAP protocol discriminator
	DLCI  uint8 // BSSAP DLCI (DTAP)
	Type  int32 // BSSMAP type, DTAP type (N(SD) bits cleared) or MAP opcode

	// Identities.
	IMSI, IMEI, IMEISV, MSISDN ident.Digits
	TMSI                       uint32

	// Location: Loc is the primary location (cell, else location area);
	// Cells every location the message carries (lists, old LAI, targets).
	Loc    ident.Cell
	NCells uint8
	Cells  [MaxCells]ident.Cell

	// BSSAP details.
	LUType        uint8  // MM location updating type IE (low nibble)
	CMServiceType uint8  // MM CM service type
	RejectCause   uint8  // MM reject cause
	Cause         uint16 // BSSMAP cause, CC cause value (DTAP CC), or MAP local error code for CompError (JSON "err")
	Called        ident.Digits
	Calling       ident.Digits // CC called/calling party BCD numbers
	RPOrig        ident.Digits // SMS RP originator address
	RPDest        ident.Digits // SMS RP destination address
	TPAddr        ident.Digits // SMS peer: TP-DA (MO) or TP-OA (MT) of the TPDU

	// TCAP / MAP.
	TCAPType       uint8 // tcap.Begin, tcap.Continue, ...
	ACN, ACVersion uint8 // application context: MAP AC id and version
	OTID, DTID     uint32
	InvokeID       int32
	VLR, MSC, HLR  ident.Digits

	// Authentication challenges: the RAND of an MM Authentication Request
	// (NRAND 1), or those of a sendAuthenticationInfo result's vectors.
	RANDs [5]uint64
	NRAND uint8
}

// Name returns the readable message name ("" if unknown).
func (m *Message) Name() string {
	switch m.Proto {
	case ProtoBSSMAP:
		return bssap.BSSMAPName(uint8(m.Type))
	case ProtoDTAP:
		return bssap.DTAPName(m.PD, uint8(m.Type))
	case ProtoMAP:
		if m.Comp == CompError && m.Has&HasCause != 0 {
			return tcap.ErrorName(int32(m.Cause))
		}
		if m.Has&HasType == 0 {
			return ""
		}
		if m.Type == 46 && m.Has&HasACN != 0 && m.ACVersion < 3 {
			return "forwardSM" // MAP v1/v2 name of operation 46
		}
		return mapName(m.Type)
	}
	return ""
}
