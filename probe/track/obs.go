package track

import "github.com/sigprobe/sigprobe/sink"

// obsKind is what an observation says about a subscriber.
type obsKind uint8

const (
	obsCell     obsKind = iota + 1 // signaled from a cell (dwell evidence)
	obsDetach                      // IMSI detach
	obsEvent                       // activity (attach, LU, call, SMS, USSD)
	obsIdentity                    // MSISDN or IMEI learned
	obsVLR                         // updateLocation: registers with the VLR numbered Event.Peer
)

// cellKey packs LAC and CI.
type cellKey uint32

func mkCell(lac, ci uint16) cellKey { return cellKey(uint32(lac)<<16 | uint32(ci)) }
func (c cellKey) lac() uint16       { return uint16(c >> 16) }
func (c cellKey) ci() uint16        { return uint16(c) }

// Obs is one fact about a subscriber, produced by the Resolver in capture
// order and consumed by State.
type Obs struct {
	TS     int64 // ns
	IMSI   sink.Digits
	Kind   obsKind
	Cell   cellKey // 0: none
	MSISDN sink.Digits
	IMEI   sink.Digits
	Event  Event
}

// Event is the activity part of an observation.
type Event struct {
	Kind      string // sink.Event* kinds
	Peer      sink.Digits
	SetupTS   int64 // ns
	AnswerTS  int64
	ReleaseTS int64
	Cause     uint8
}
