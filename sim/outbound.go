package sim

import (
	"fmt"
	"math/rand/v2"

	"github.com/sigprobe/sigprobe/sim/scenario"
	"github.com/sigprobe/sigprobe/sim/wire"
)

// Roam-out: home subscribers who travel abroad during the capture
// (scenario outbound_roaming). The foreign network's VLR registers them
// with the home HLR over the international gateway (ISC), whose link to the
// STP is tapped like the other core links; the way back is an ordinary
// location update at home, after which the HLR cancels the foreign VLR.
// Calls and SMS abroad happen in the foreign network and are not modelled;
// a call to a traveller from home fails as absent subscriber.

// trip is one journey abroad; times are ns.
type trip struct {
	airport    int64 // arrives at the airport
	off        int64 // switches off for the flight
	abroad     int64 // registers with the foreign VLR
	back       int64 // lands and switches on at the airport
	home       int64 // home from the airport
	detach     bool  // switching off sends IMSI detach
	partner    int16 // destination: a roaming partner's country
	vlr        string
	registered bool // the HLR holds the foreign VLR
}

// addISC creates the international gateway and its link to the STP. It
// draws from rng (g.xr), so the rest of the network is laid out as without it.
func (g *gen) addISC(rng *rand.Rand) {
	n := g.nw
	aIP, bIP := [4]byte{192, 0, 2, 4}, [4]byte{192, 0, 2, 1}
	l := link{
		a:        wire.Endpoint{MAC: mac(aIP), IP: aIP, Port: 2905},
		b:        wire.Endpoint{MAC: mac(bIP), IP: bIP, Port: 2905},
		opc:      [2]uint32{40, n.stp.pc},
		vtag:     [2]uint32{rng.Uint32() | 1, rng.Uint32() | 1},
		tsn:      [2]uint32{rng.Uint32(), rng.Uint32()},
		maxChunk: 1400,
		core:     true, // MAP toward the STP: absent from an A-only tap
	}
	n.links = append(n.links, l)
	g.isc = node{name: "isc", pc: 40, gt: g.sc.CC + g.sc.NDC + "9500001", link: len(n.links) - 1, tid: rng.Uint32()}
}

// foreignVLR is the E.164 number of one of a partner country's two VLRs.
func foreignVLR(p scenario.Roaming, k int) string {
	return fmt.Sprintf("%s60%07d", p.CC, k)
}

// planTrips decides who travels, when and where (at most one trip each).
func (g *gen) planTrips() {
	ob := g.sc.Outbound
	if ob.DeparturesPerDay <= 0 || len(g.sc.Roaming) == 0 {
		return
	}
	rng := g.xr
	start := g.start.Unix()
	for i := range g.subs {
		s := &g.subs[i]
		if s.partner >= 0 || s.role == roleCardFarm {
			continue
		}
		for d := range int64(g.days) {
			if rng.Float64() >= ob.DeparturesPerDay {
				continue
			}
			d0 := start + d*86400
			u := func(lo, hi int64) int64 { return (lo + rng.Int64N(hi-lo+1)) * sec }
			t := &trip{detach: rng.Float64() < ob.DetachShare}
			t.airport = d0*sec + u(7*3600, 19*3600)
			t.off = t.airport + u(3600, 7200)
			t.abroad = t.off + u(int64(ob.FlightHours[0])*3600, int64(ob.FlightHours[1])*3600)
			days := int64(ob.TripDays[0] + rng.IntN(ob.TripDays[1]-ob.TripDays[0]+1))
			t.back = (d0+days*86400)*sec + u(8*3600, 21*3600)
			if t.back < t.abroad+3600*sec {
				t.back = t.abroad + 3600*sec
			}
			t.home = t.back + u(3600, 5400)
			t.partner = int16(pick(rng, g.sc.Roaming, func(r scenario.Roaming) float64 { return r.Weight }))
			t.vlr = foreignVLR(g.sc.Roaming[t.partner], 1+rng.IntN(2))
			s.trip = t
			break
		}
	}
}

// travel rewrites subscriber i's plan for the day starting at d0 (unix s)
// around its trip: the usual day until it leaves for the airport, off while
// away, the airport and home when it is back.
func (g *gen) travel(i int32, d0 int64, p []stay) []stay {
	s := &g.subs[i]
	t := s.trip
	dayStart, dayEnd := d0*sec, (d0+86400)*sec
	if t == nil || dayEnd <= t.airport || dayStart >= t.home {
		return p
	}
	keep := p[:0]
	for _, st := range p {
		if st.t < t.airport || st.t > t.home {
			keep = append(keep, st)
		}
	}
	p = keep
	airport := airportCell(g.nw, s.home)
	in := func(ts int64) bool { return ts >= dayStart && ts < dayEnd }
	switch {
	case dayStart > t.airport && dayStart < t.off:
		p = append(p, stay{t: dayStart, cell: airport})
	case dayStart >= t.off && dayStart < t.back:
		p = append(p, stay{t: dayStart, off: true})
	case dayStart >= t.back && dayStart < t.home:
		p = append(p, stay{t: dayStart, cell: airport})
	}
	if in(t.airport) {
		p = append(p, stay{t: t.airport, cell: airport})
	}
	if in(t.off) {
		p = append(p, stay{t: t.off, off: true, detach: t.detach})
	}
	if in(t.back) {
		p = append(p, stay{t: t.back, cell: airport})
	}
	if in(t.home) {
		p = append(p, stay{t: t.home, cell: s.home})
	}
	return p
}

// tripTimer registers a traveller with the foreign network once its flight
// has landed: updateLocation from the foreign VLR, cancelLocation to the old
// home VLR, insertSubscriberData.
func (g *gen) tripTimer(i int32) {
	s := &g.subs[i]
	s.next[tTrip] = never
	t := s.trip
	if t == nil || t.registered {
		return
	}
	if s.on {
		// Still here: a call kept the phone on at the airport.
		if s.call != -1 || s.busyUntil > g.now || s.setupUntil > g.now {
			s.next[tTrip] = g.now + 10*60*sec
			return
		}
		g.switchOff(i, t.detach)
		s.next[tTrip] = g.now + 3600*sec
		return
	}
	isc := &g.isc
	vlr := wire.Addr{GT: t.vlr, SSN: wire.SSNVLR}
	hlr := g.hlrAddr(i)
	acn := wire.ACNetworkLocUp
	tid := isc.newTID()
	now := g.now
	g.param = wire.UpdateLocationArg(g.param[:0], s.imsi, t.vlr, t.vlr)
	g.tc(wire.TCBegin, tid, 0, acn, wire.CompInvoke, wire.OpUpdateLocation, g.param)
	r := g.mapRow(i, wire.OpUpdateLocation, 1, cIMSI, "updateLocation")
	r.mk = mark{ev: evRoamOut, peer: t.vlr}
	g.sccpMAP(now, isc.link, 0, hlr, vlr, tid, r)
	now += g.lat(30, 120)
	if s.msc >= 0 {
		om := &g.nw.mscs[s.msc]
		ctid := g.hlrTID + 1
		g.hlrTID++
		cacn := wire.ACLocationCancellation
		g.param = wire.CancelLocationArg(g.param[:0], s.imsi)
		g.tc(wire.TCBegin, ctid, 0, cacn, wire.CompInvoke, wire.OpCancelLocation, g.param)
		g.sccpMAP(now, om.link, 1, g.vlrAddr(int(s.msc)), hlr, ctid, g.mapRow(i, wire.OpCancelLocation, 1, cIMSI, "cancelLocation"))
		now += g.lat(10, 40)
		g.tcap = wire.TCAP(g.tcap[:0], wire.TCEnd, 0, ctid, cacn, wire.Component{Kind: wire.CompResultLast, InvokeID: 1, Op: wire.OpCancelLocation})
		g.sccpMAP(now, om.link, 0, hlr, g.vlrAddr(int(s.msc)), ctid, g.bareResult(i, wire.OpCancelLocation, "cancelLocation"))
	}
	htid := g.hlrTID + 1
	g.hlrTID++
	now += g.lat(20, 80)
	g.param = wire.InsertSubscriberDataArg(g.param[:0], "", s.msisdn, true)
	g.tcap = wire.TCAP(g.tcap[:0], wire.TCContinue, htid, tid, acn, wire.Component{Kind: wire.CompInvoke, InvokeID: 1, Op: wire.OpInsertSubscriberData, Param: g.param})
	g.sccpMAP(now, isc.link, 1, vlr, hlr, tid, revealed(g.mapRow(i, wire.OpInsertSubscriberData, 1, cMSISDN, "insertSubscriberData")))
	now += g.lat(60, 200) // the answer crosses the international network
	g.param = wire.InsertSubscriberDataRes(g.param[:0])
	g.tcap = wire.TCAP(g.tcap[:0], wire.TCContinue, tid, htid, wire.ACN{}, wire.Component{Kind: wire.CompResultLast, InvokeID: 1, Op: wire.OpInsertSubscriberData, Param: g.param})
	g.sccpMAP(now, isc.link, 0, hlr, vlr, tid, g.mapRow(i, wire.OpInsertSubscriberData, 2, 0, "insertSubscriberData"))
	now += g.lat(10, 40)
	g.param = wire.UpdateLocationRes(g.param[:0], hlr.GT)
	g.tcap = wire.TCAP(g.tcap[:0], wire.TCEnd, 0, tid, wire.ACN{}, wire.Component{Kind: wire.CompResultLast, InvokeID: 1, Op: wire.OpUpdateLocation, Param: g.param})
	g.sccpMAP(now, isc.link, 1, vlr, hlr, tid, g.mapRow(i, wire.OpUpdateLocation, 2, 0, "updateLocation"))
	t.registered = true
	g.freeTMSI(i) // the home VLR's record is cancelled
	s.msc, s.vlrLA, s.vectors, s.detached = -1, -1, 0, false
	s.tmsi = g.xr.Uint32() | 1 // allocated by the foreign VLR; useless at home
	s.next[tLU] = never
}

// cancelAbroad is the HLR's cancelLocation to the foreign VLR when a
// traveller registers at home again; it returns the time after it.
func (g *gen) cancelAbroad(t int64, i int32) int64 {
	tr := g.subs[i].trip
	isc := &g.isc
	vlr := wire.Addr{GT: tr.vlr, SSN: wire.SSNVLR}
	hlr := g.hlrAddr(i)
	ctid := g.hlrTID + 1
	g.hlrTID++
	cacn := wire.ACLocationCancellation
	t += g.lat(10, 40)
	g.param = wire.CancelLocationArg(g.param[:0], g.subs[i].imsi)
	g.tc(wire.TCBegin, ctid, 0, cacn, wire.CompInvoke, wire.OpCancelLocation, g.param)
	g.sccpMAP(t, isc.link, 1, vlr, hlr, ctid, g.mapRow(i, wire.OpCancelLocation, 1, cIMSI, "cancelLocation"))
	t += g.lat(60, 200)
	g.tcap = wire.TCAP(g.tcap[:0], wire.TCEnd, 0, ctid, cacn, wire.Component{Kind: wire.CompResultLast, InvokeID: 1, Op: wire.OpCancelLocation})
	g.sccpMAP(t, isc.link, 0, hlr, vlr, ctid, g.bareResult(i, wire.OpCancelLocation, "cancelLocation"))
	tr.registered = false
	return t
}
