package rules

import "github.com/sigprobe/sigprobe/sink"

// Kind is what a Fact reports.
type Kind uint8

// Fact kinds. The zero value is Activity.
const (
	Activity       Kind = iota // any other signaling
	RegionEnter                // the subscriber entered Fact.Region
	RegionExit                 // the subscriber left Fact.Region after InRegionS
	PowerOn                    // IMSI attach
	PowerOff                   // IMSI detach or implicit detach
	Seen                       // first time the subscriber is seen in the network
	LocationUpdate             // location update (normal or periodic)
	Call                       // a call leg ended (MO or MT)
	SMS                        // an SMS (MO or MT)
	RoamOut                    // a home subscriber registered abroad (Peer: the foreign VLR)
	RoamReturn                 // a home subscriber registered at home again (Peer: the foreign VLR it left)
	Identity                   // the subscriber's MSISDN became known
	numKinds
)

var kindNames = [numKinds]string{"activity", "region_enter", "region_exit", "power_on", "power_off", "seen", "location_update", "call", "sms", "roam_out", "roam_return", "identity"}

func (k Kind) String() string {
	if k < numKinds {
		return kindNames[k]
	}
	return "unknown"
}

// Fact is one thing the tracking state learned about a subscriber. Facts must
// be given to Engine.Observe in capture-time order.
type Fact struct {
	Kind   Kind
	TS     int64       // unix ns (capture time)
	IMSI   sink.Digits // facts without an IMSI are ignored
	MSISDN sink.Digits // 0 if not known yet
	Roamer bool        // IMSI not of a home PLMN
	// Region is the region entered or left (RegionEnter, RegionExit), an
	// index into the names given to Parse; -1 otherwise.
	Region int32
	// Regions are the regions of the fact's cell (any other kind), by
	// index; the slice belongs to the caller and is read during Observe.
	Regions   []int32
	LAC, CI   uint16      // the cell the fact happened in, 0 unknown
	InRegionS int64       // RegionExit: how long the subscriber was in the region
	OffS      int64       // PowerOn: how long it was off, -1 unknown
	MO        bool        // Call/SMS direction (true: mobile-originated)
	Peer      sink.Digits // Call/SMS peer number; RoamOut/RoamReturn: the foreign VLR
	DurationS int64       // Call: answered duration, 0 unanswered
	Answered  bool        // Call: the leg was answered (Connect)
	Cause     uint8       // Call: CC cause of the first clearing message, 0 none
}
