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
	Call                       // a call ended (MO or MT)
	SMS                        // an SMS (MO or MT)
	numKinds
)

var kindNames = [numKinds]string{"activity", "region_enter", "region_exit", "power_on", "power_off", "seen", "location_update", "call", "sms"}

func (k Kind) String() string {
	if k < numKinds {
		return kindNames[k]
	}
	return "unknown"
}

// Fact is one thing the tracking state learned about a subscriber. Facts must
// be given to Engine.Observe in capture-time order.
type Fact struct {
	Kind      Kind
	TS        int64       // unix ns (capture time)
	IMSI      sink.Digits // facts without an IMSI are ignored
	MSISDN    sink.Digits // 0 if not known yet
	Roamer    bool        // IMSI not of a home PLMN
	Region    int32       // region index into the names given to Parse, -1 none
	LAC, CI   uint16
	InRegionS int64       // RegionExit: how long the subscriber was in the region
	OffS      int64       // PowerOn: how long it was off, -1 unknown
	MO        bool        // Call/SMS direction (true: mobile-originated)
	Peer      sink.Digits // Call/SMS peer number
	DurationS int64       // Call: answered duration, 0 unanswered
}
