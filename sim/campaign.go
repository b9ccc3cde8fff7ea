package sim

import (
	"strconv"

	"github.com/sigprobe/sigprobe/sim/scenario"
)

// The marketing model (scenario campaigns): the operator's campaign system
// acts on region-entry triggers the way a rule with the same campaign name
// and control_share makes the probe fire them. It contacts a subscriber the
// first time its signaling shows it in a cell of the contact region (the
// dwell truth: the entry a perfect probe sees), except the control group
// (scenario.ControlMember, the hash contract the rule engine shares), and a
// share of those contacted call the reply number within the response window
// because of it. campaigns.csv records every contact.

type campaignState struct {
	c         scenario.Campaign
	region    int16
	within    int64 // ns
	contacted []bool
}

// response is a contacted subscriber's planned call to a reply number.
type response struct {
	due, until int64 // ns
	number     string
}

func (g *gen) initCampaigns(w *csvWriter) {
	g.campaignOut = w
	for _, c := range g.sc.Campaigns {
		g.campaigns = append(g.campaigns, campaignState{c: c, region: int16(g.nw.regionByName(c.ContactRegion)),
			within: int64(c.RespondWithinHours) * 3600 * sec, contacted: make([]bool, len(g.subs))})
	}
	if len(g.campaigns) > 0 {
		g.out.onDwell = g.campaignDwell
		g.responses = map[int32][]response{}
	}
}

func hasRegion(c *cell, r int16) bool {
	for _, x := range c.regions {
		if x == r {
			return true
		}
	}
	return false
}

// campaignDwell is told of each new dwell (capture time ts): entering a
// contact region for the first time is a contact.
func (g *gen) campaignDwell(sub, c, prev int32, ts int64) {
	for k := range g.campaigns {
		cs := &g.campaigns[k]
		if cs.contacted[sub] || !hasRegion(&g.nw.cells[c], cs.region) || prev >= 0 && hasRegion(&g.nw.cells[prev], cs.region) {
			continue
		}
		cs.contacted[sub] = true
		s := &g.subs[sub]
		control := scenario.ControlMember(cs.c.Name, s.imsi, cs.c.ControlShare)
		var due int64
		if !control && g.xr.Float64() < cs.c.RespondShare {
			// Some time after the message arrives, never on the clock's past.
			due = max(ts+10*60*sec+g.xr.Int64N(cs.within*4/5-10*60*sec), g.out.until)
			g.responses[sub] = append(g.responses[sub], response{due: due, until: ts + cs.within, number: cs.c.ReplyNumber})
			g.armResponse(sub)
		}
		respond := ""
		if due > 0 {
			respond = strconv.FormatInt(due/sec, 10)
		}
		g.campaignOut.row(cs.c.Name, s.imsi, strconv.FormatInt(ts/sec, 10), strconv.FormatBool(control), respond)
	}
}

// armResponse sets the subscriber's campaign timer to its earliest response.
func (g *gen) armResponse(sub int32) {
	s := &g.subs[sub]
	next := int64(never)
	for _, r := range g.responses[sub] {
		next = min(next, r.due)
	}
	s.next[tCampaign] = next
	g.reschedule(sub)
}

// campaignTimer places the due response calls; a phone that is off, away
// or busy tries again a quarter of an hour later, until the window closes.
func (g *gen) campaignTimer(i int32) {
	s := &g.subs[i]
	rs := g.responses[i]
	keep := rs[:0]
	for _, r := range rs {
		switch {
		case r.due > g.now:
			keep = append(keep, r)
		case !s.on || s.msc < 0 || s.call != -1 || s.busyUntil > g.now || s.setupUntil > g.now:
			if r.due = g.now + 15*60*sec; r.due < r.until {
				keep = append(keep, r)
			}
		default:
			g.moCall(i, -1, r.number)
		}
	}
	if len(keep) == 0 {
		delete(g.responses, i)
		s.next[tCampaign] = never
		return
	}
	g.responses[i] = keep
	next := int64(never)
	for _, r := range keep {
		next = min(next, r.due)
	}
	s.next[tCampaign] = next
}
