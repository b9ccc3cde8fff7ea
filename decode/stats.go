package decode

import (
	"errors"
	"unsafe"

	"github.com/sigprobe/sigprobe/decode/bssap"
	"github.com/sigprobe/sigprobe/decode/ident"
	"github.com/sigprobe/sigprobe/decode/m3ua"
	"github.com/sigprobe/sigprobe/decode/sccp"
	"github.com/sigprobe/sigprobe/decode/sctp"
	"github.com/sigprobe/sigprobe/decode/tcap"
)

// Layer names where a decode error happened.
type Layer uint8

// Layers.
const (
	LayerLink Layer = iota
	LayerIP
	LayerSCTP
	LayerM3UA // M3UA, M2PA and MTP3
	LayerSCCP
	LayerBSSMAP
	LayerDTAP
	LayerTCAP
	LayerMAP
	NumLayers
)

var layerNames = [NumLayers]string{"link", "ip", "sctp", "m3ua", "sccp", "bssmap", "dtap", "tcap", "map"}

// String returns the layer's name.
func (l Layer) String() string {
	if l < NumLayers {
		return layerNames[l]
	}
	return "unknown"
}

// Sentinel errors of this package.
var (
	ErrLinkType   = errors.New("link: unsupported link type")
	ErrLinkShort  = errors.New("link: short frame")
	ErrIPFragment = errors.New("ip: bad fragment")
	ErrIPv6Ext    = errors.New("ip: bad IPv6 extension header")
	// ErrIPChecksum is an IPv4 header whose checksum does not add up
	// (Stack.VerifyChecksum).
	ErrIPChecksum = errors.New("ip: bad IPv4 header checksum")
	// ErrTooManyStreams and ErrReassemblyMemory drop SCTP fragments beyond
	// MaxStreams per flow or MaxHeld bytes per Stack.
	ErrTooManyStreams   = errors.New("sctp: too many streams in reassembly")
	ErrReassemblyMemory = errors.New("sctp: reassembly memory limit")
)

// reasons lists every sentinel error a Stack may report, so counting by
// reason is an index into a fixed array.
var reasons = [...]error{
	ErrLinkType, ErrLinkShort, ErrIPFragment, ErrIPv6Ext, ErrIPChecksum, ErrTooManyStreams, ErrReassemblyMemory,
	sctp.ErrShort, sctp.ErrChunkLen, sctp.ErrTooMany, sctp.ErrReassembly, sctp.ErrTooBig, sctp.ErrChecksum,
	m3ua.ErrShort, m3ua.ErrVersion, m3ua.ErrLength, m3ua.ErrNoData, m3ua.ErrMTPShort,
	sccp.ErrShort, sccp.ErrPointer, sccp.ErrAddress, sccp.ErrOptional, sccp.ErrUnsupported,
	sccp.ErrSegment, sccp.ErrSegTooBig,
	bssap.ErrShort, bssap.ErrDiscriminator, bssap.ErrLength, bssap.ErrIE, bssap.ErrCell,
	bssap.ErrDTAPShort, bssap.ErrDTAPIE, bssap.ErrIdentity,
	tcap.ErrShort, tcap.ErrLength, tcap.ErrTag, tcap.ErrDepth, tcap.ErrNotTCAP,
	tcap.ErrTooMany, tcap.ErrComponent, tcap.ErrParam,
	ident.ErrShort, ident.ErrBadType, ident.ErrTooLong, ident.ErrBadPLMN,
	errOther,
}

var errOther = errors.New("decode: other error")

// NumReasons is the number of distinct error reasons counted.
const NumReasons = len(reasons)

func reasonIndex(err error) int {
	for i, r := range reasons {
		if r == err {
			return i
		}
	}
	return NumReasons - 1
}

// Reason returns the sentinel error counted at index i of Stats.ByReason.
func Reason(i int) error { return reasons[i] }

// Stats are a Stack's counters. They only grow; the caller reads them.
type Stats struct {
	Packets         uint64 // packets given to Decode
	Messages        uint64 // Messages produced
	Errors          uint64 // decode errors (all layers)
	ByLayer         [NumLayers]uint64
	ByReason        [NumReasons]uint64
	Retransmissions uint64 // SCTP DATA chunks with a TSN already seen, dropped
	BadChecksums    uint64 // packets dropped for a wrong IPv4 header checksum or SCTP CRC32c
	ZeroChecksums   uint64 // of those, SCTP packets with an all-zero checksum field (captured before offload)
	Fragments       uint64 // IP, SCTP and SCCP fragments held for reassembly
	NotSCTP         uint64 // IP packets that are not SCTP
	Control         uint64 // SCTP packets without DATA chunks
	OtherPPID       uint64 // DATA for other upper layers (e.g. SUA, Diameter)
	AdaptationMgmt  uint64 // M3UA/M2PA messages other than user data
	NotSCCP         uint64 // MTP user parts other than SCCP (ISUP, MTP3MG)
	NoUserData      uint64 // SCCP messages without user data (RLC, CC, ...)
	Returned        uint64 // UDTS/XUDTS: returned messages, not reported again
	OutOfScope      uint64 // SCCP users out of scope (RANAP, CAP, unknown SSN)
	NoComponents    uint64 // TCAP messages without components
	Rejects         uint64 // ROS reject components (reported with Comp CompReject)
	FlowResets      uint64 // SCTP flow table resets
	Paths           uint64 // further paths of multi-homed SCTP associations found
}

// ForEachError calls fn for every reason with a non-zero count.
func (s *Stats) ForEachError(fn func(reason error, n uint64)) {
	for i, n := range s.ByReason {
		if n != 0 {
			fn(reasons[i], n)
		}
	}
}

// Add adds o's counters to s (summing the stacks of several workers). Stats
// holds only uint64 counters (TestStatsAllCounters), so it adds word by
// word and a new counter needs no change here.
func (s *Stats) Add(o *Stats) {
	const n = unsafe.Sizeof(Stats{}) / 8
	a := (*[n]uint64)(unsafe.Pointer(s))
	b := (*[n]uint64)(unsafe.Pointer(o))
	for i := range a {
		a[i] += b[i]
	}
}
