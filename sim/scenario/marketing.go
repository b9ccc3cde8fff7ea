package scenario

import (
	"fmt"
	"strings"
)

// Outbound is roam-out: home subscribers who travel abroad during the
// capture. A traveller goes to the airport, switches off, registers with a
// foreign network after the flight (updateLocation from the foreign VLR to
// the home HLR over the international gateway), and on the way back
// registers at home again (the HLR cancels the foreign VLR). Destinations
// are the roaming partners' countries, by weight.
type Outbound struct {
	DeparturesPerDay float64 `yaml:"departures_per_day"` // share of home subscribers leaving on a given day
	TripDays         [2]int  `yaml:"trip_days"`          // [min, max] whole days abroad
	FlightHours      [2]int  `yaml:"flight_hours"`       // [min, max] from switching off to registering abroad
	DetachShare      float64 `yaml:"detach_share"`       // travellers whose phone sends IMSI detach when switched off
}

// Campaign is the operator's marketing system acting on the probe's
// triggers, and how the subscribers it contacts respond. It contacts every
// subscriber the first time they enter ContactRegion, except a control group
// held out by the documented hash contract (ControlMember), and a share of
// those contacted calls ReplyNumber within RespondWithinHours because of it.
// A trigger rule with the same campaign name and control_share reproduces
// who was contacted.
type Campaign struct {
	Name               string  `yaml:"name"`
	ContactRegion      string  `yaml:"contact_region"`
	ControlShare       float64 `yaml:"control_share"`
	RespondShare       float64 `yaml:"respond_share"`
	RespondWithinHours int     `yaml:"respond_within_hours"`
	ReplyNumber        string  `yaml:"reply_number"`
}

// ControlMember reports whether the subscriber with this IMSI is in the
// control group of campaign for a control share: the contract shared with
// the probe's rule engine (deploy/rules.example.yaml, control_share). It is
// FNV-1a (64 bit) of campaign, "/", IMSI digits; the subscriber is held out
// when that value modulo 10000 is below share × 10000 rounded to the
// nearest integer.
func ControlMember(campaign, imsi string, share float64) bool {
	h := uint64(0xcbf29ce484222325)
	for _, s := range [3]string{campaign, "/", imsi} {
		for i := range len(s) {
			h ^= uint64(s[i])
			h *= 0x100000001b3
		}
	}
	return h%10000 < uint64(share*10000+0.5)
}

// validateMarketing checks the outbound_roaming and campaigns sections.
func (s *Scenario) validateMarketing(bad func(key, format string, a ...any), regions map[string]bool) {
	o := s.Outbound
	if o.DeparturesPerDay < 0 || o.DeparturesPerDay > 0.1 {
		bad("outbound_roaming.departures_per_day", "want 0 to 0.1 of home subscribers a day, got %v", o.DeparturesPerDay)
	}
	// Trips are shaped only where someone travels: a town without the
	// section (or with departures_per_day 0) has no roam-out.
	if o.DeparturesPerDay > 0 && (o.TripDays[0] < 1 || o.TripDays[1] < o.TripDays[0] || o.TripDays[1] > 60) {
		bad("outbound_roaming.trip_days", "want [min, max] with 1 <= min <= max <= 60, got %v", o.TripDays)
	}
	if o.DeparturesPerDay > 0 && (o.FlightHours[0] < 1 || o.FlightHours[1] < o.FlightHours[0] || o.FlightHours[1] > 20) {
		bad("outbound_roaming.flight_hours", "want [min, max] with 1 <= min <= max <= 20, got %v", o.FlightHours)
	}
	if o.DetachShare < 0 || o.DetachShare > 1 {
		bad("outbound_roaming.detach_share", "want a share between 0 and 1, got %v", o.DetachShare)
	}
	if o.DeparturesPerDay > 0 && len(s.Roaming) == 0 {
		bad("outbound_roaming", "travellers need roaming_partners to travel to")
	}
	names := map[string]bool{}
	for i, c := range s.Campaigns {
		key := fmt.Sprintf("campaigns[%d]", i)
		if c.Name == "" || strings.ContainsAny(c.Name, " \t") {
			bad(key+".name", "want a name without spaces, got %q", c.Name)
		}
		if names[c.Name] {
			bad(key+".name", "duplicate campaign %q", c.Name)
		}
		names[c.Name] = true
		if !regions[c.ContactRegion] {
			bad(key+".contact_region", "unknown region %q", c.ContactRegion)
		}
		for _, f := range []struct {
			k string
			v float64
		}{{"control_share", c.ControlShare}, {"respond_share", c.RespondShare}} {
			if f.v < 0 || f.v > 1 {
				bad(key+"."+f.k, "want a share between 0 and 1, got %v", f.v)
			}
		}
		if c.RespondWithinHours < 1 || c.RespondWithinHours > 24*60 {
			bad(key+".respond_within_hours", "want 1 to 1440, got %d", c.RespondWithinHours)
		}
		if !digits(c.ReplyNumber, 4, 15) {
			bad(key+".reply_number", "want 4-15 digits (international format without +), got %q", c.ReplyNumber)
		}
	}
}
