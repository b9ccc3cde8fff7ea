package sim

import (
	"github.com/sigprobe/sigprobe/sim/wire"
)

// Location updating types (TS 24.008 10.5.3.5).
const (
	luNormal   = 0
	luPeriodic = 1
	luAttach   = 2
)

// move applies the next step of subscriber i's plan.
func (g *gen) move(i int32) {
	s := &g.subs[i]
	if s.call == -1 && s.busyUntil > g.now || s.setupUntil > g.now {
		// In dedicated mode the phone does not reselect, and messages of a
		// call being set up are already on their way: the move waits until the
		// connection is released, or the call is up (then it is a handover).
		s.next[tMove] = s.setupUntil + ms
		if s.call == -1 {
			s.next[tMove] = max(s.busyUntil, s.setupUntil) + ms
		}
		return
	}
	// After a deferral several steps may be due: only the last of a run of
	// due camping steps matters (switching off is never skipped).
	for s.planIdx+1 < len(s.plan) && s.plan[s.planIdx+1].t <= g.now && !s.plan[s.planIdx].off && !s.plan[s.planIdx+1].off {
		s.planIdx++
	}
	st := s.plan[s.planIdx]
	s.planIdx++
	if s.planIdx < len(s.plan) {
		s.next[tMove] = s.plan[s.planIdx].t
	} else {
		s.next[tMove] = never
	}
	switch {
	case st.off:
		if s.on {
			g.switchOff(i, st.detach)
		}
	case !s.on:
		s.on, s.cell = true, st.cell
		g.openLocation(i)
		s.next[tLU] = g.now // register at once
	case st.cell != s.cell:
		g.closeLocation(i, g.now)
		old := s.cell
		s.cell = st.cell
		g.openLocation(i)
		if s.call != -1 {
			g.handover(i, old)
			return
		}
		if g.nw.cells[s.cell].la != s.vlrLA {
			s.next[tLU] = max(g.now, s.busyUntil+sec)
		}
	}
}

func (g *gen) switchOff(i int32, detach bool) {
	s := &g.subs[i]
	if s.call != -1 {
		return // finish the call first; the plan moves on
	}
	if detach && s.msc >= 0 && !s.detached && s.busyUntil <= g.now {
		g.l3 = wire.IMSIDetach(g.l3[:0], g.tmsiID(i))
		r := g.row(i, protoDTAP, 5, 0x01, "IMSI Detach Indication")
		r.withTMSI(s.tmsi)
		r.detach = true
		r.mk.ev = evDetach
		c, t := g.open(g.now, i, g.l3, r)
		s.serving = -1 // nothing after the detach shows where it is
		g.release(t+g.lat(10, 40), i, &c, 0x09)
		s.detached = true
	} else {
		g.out.silent(max(g.now, s.busyUntil+ms), i)
		s.serving = -1
	}
	s.on = false
	g.closeLocation(i, g.now)
	s.next[tLU] = never
	if s.role == roleRoamer && s.msc >= 0 {
		// The VLR purges a departed roamer some hours later.
		s.next[tMisc] = g.now + (3+g.rng.Int64N(3))*3600*sec
	}
}

// periodic runs the location update that is due: normal after a change of
// location area or VLR, IMSI attach after power-on, periodic otherwise.
func (g *gen) periodic(i int32) {
	s := &g.subs[i]
	if !s.on {
		s.next[tLU] = never
		return
	}
	if g.busy(i, tLU) {
		return
	}
	la := g.nw.cells[s.cell].la
	typ := uint8(luPeriodic)
	switch {
	case s.detached && la == s.vlrLA:
		typ = luAttach
	case la != s.vlrLA || s.msc < 0:
		typ = luNormal
	}
	g.locationUpdate(i, typ)
}

// locationUpdate runs the whole procedure: identification, authentication,
// MAP updateLocation toward the HLR on a change of VLR, ciphering and the
// Accept with a new TMSI.
func (g *gen) locationUpdate(i int32, typ uint8) {
	s := &g.subs[i]
	nw := g.nw
	la := nw.cells[s.cell].la
	newMSC := int8(nw.las[la].msc)
	oldLAI := s.lastLAI(g)
	id := g.tmsiID(i)
	if s.tmsi == 0 {
		id = wire.MobileID{Type: wire.IDIMSI, Digits: s.imsi}
	}
	g.l3 = wire.LURequest(g.l3[:0], typ, s.cksn, oldLAI, id)
	r := g.row(i, protoDTAP, 5, 0x08, "Location Updating Request")
	r.addLAC(oldLAI.LAC)
	if id.Type == wire.IDTMSI {
		r.withTMSI(s.tmsi)
	} else {
		r.carry |= cIMSI
	}
	c, t := g.open(g.now, i, g.l3, r)
	newVLR := s.msc != newMSC
	if newVLR && id.Type == wire.IDTMSI {
		// The TMSI belongs to another VLR or network: ask for the IMSI.
		t += g.lat(5, 30)
		g.l3 = wire.IdentityRequest(g.l3[:0], wire.IDIMSI)
		g.dtap(t, i, &c, false, 0, 5, 0x18, "Identity Request")
		t += g.lat(150, 400)
		g.l3 = wire.IdentityResponse(g.l3[:0], wire.MobileID{Type: wire.IDIMSI, Digits: s.imsi})
		rr := g.row(i, protoDTAP, 5, 0x19, "Identity Response")
		rr.carry |= cIMSI
		g.bss = wire.DTAP(g.bss[:0], 0, g.l3)
		g.dt1(t, &c, true, rr)
	}
	oldMSC := s.msc
	s.msc = newMSC
	if newVLR {
		s.vectors = 0
	}
	t = g.authenticate(t, i, &c)
	if typ != luPeriodic && g.rng.Float64() < g.sc.Traffic.IMEICheckShare {
		t = g.checkIMEI(t, i, &c)
	}
	if newVLR {
		var ok bool
		t, ok = g.updateLocation(t, i, oldMSC)
		if !ok {
			t += g.lat(5, 20)
			g.l3 = wire.LUReject(g.l3[:0], 11) // PLMN not allowed
			g.markNext(mark{ev: evLUReject, cause: 11})
			g.dtap(t, i, &c, false, 0, 5, 0x04, "Location Updating Reject")
			g.release(t+g.lat(20, 60), i, &c, 0x09)
			s.msc, s.vlrLA, s.on = -1, -1, false
			s.next[tLU], s.next[tCall], s.next[tSMS], s.next[tMisc], s.next[tMove] = never, never, never, never, never
			g.out.silent(s.busyUntil+ms, i)
			g.closeLocation(i, g.now)
			return
		}
	}
	t = g.cipher(t, i, &c)
	s.tmsi = g.newTMSI(i)
	s.vlrLA, s.detached = la, false
	t += g.lat(5, 20)
	g.l3 = wire.LUAccept(g.l3[:0], nw.las[la].lai, s.tmsi, true)
	r = g.row(i, protoDTAP, 5, 0x02, "Location Updating Accept")
	r.mk.ev = evLU
	if typ == luAttach {
		r.mk.ev = evAttach
	}
	r.addLAC(nw.las[la].lai.LAC)
	r.withTMSI(s.tmsi)
	g.bss = wire.DTAP(g.bss[:0], 0, g.l3)
	g.dt1(t, &c, false, r)
	t += g.lat(150, 400)
	g.l3 = wire.TMSIReallocComplete(g.l3[:0])
	g.dtap(t, i, &c, true, 0, 5, 0x1b, "TMSI Reallocation Complete")
	g.release(t+g.lat(10, 40), i, &c, 0x09)
}

// lastLAI is the LAI stored on the SIM: the VLR's, or the home network's for
// roamers and new SIMs that never registered here.
func (s *subscriber) lastLAI(g *gen) wire.LAI {
	if s.vlrLA >= 0 {
		return g.nw.las[s.vlrLA].lai
	}
	if s.partner >= 0 {
		p := g.sc.Roaming[s.partner].PLMN
		return wire.LAI{PLMN: wire.PLMN{MCC: p.MCC, MNC: p.MNC}, LAC: 0x2001}
	}
	return wire.LAI{PLMN: g.nw.plmn, LAC: 0xfffe} // deleted LAI: never registered (TS 24.008 4.4.2)
}

// authenticate runs MM authentication with the VLR's next vector, fetching
// vectors from the HLR first when none are left.
func (g *gen) authenticate(t int64, i int32, c *conn) int64 {
	s := &g.subs[i]
	if s.vectors == 0 {
		t = g.sai(t+g.lat(2, 10), i)
	}
	s.vectors--
	s.authSer++
	s.cksn = (s.cksn + 1) % 7
	tr := g.triplet(i, s.authSer)
	t += g.lat(5, 20)
	g.l3 = wire.AuthRequest(g.l3[:0], s.cksn, &tr.RAND)
	g.bss = wire.DTAP(g.bss[:0], 0, g.l3)
	r := g.row(i, protoDTAP, 5, 0x12, "Authentication Request")
	r.addRAND(&tr.RAND)
	g.dt1(t, c, false, r)
	t += g.lat(150, 400)
	g.l3 = wire.AuthResponse(g.l3[:0], tr.SRES)
	g.dtap(t, i, c, true, 0, 5, 0x14, "Authentication Response")
	return t
}

func (g *gen) cipher(t int64, i int32, c *conn) int64 {
	tr := g.triplet(i, g.subs[i].authSer)
	t += g.lat(5, 20)
	g.bss = wire.CipherModeCommand(g.bss[:0], &tr.Kc)
	g.bssmap(t, i, c, false, 0x53, "Cipher Mode Command")
	t += g.lat(80, 250)
	g.bss = wire.CipherModeComplete(g.bss[:0])
	g.bssmap(t, i, c, true, 0x55, "Cipher Mode Complete")
	return t
}

// checkIMEI asks the phone for its IMEISV and checks the IMEI with the EIR.
func (g *gen) checkIMEI(t int64, i int32, c *conn) int64 {
	s := &g.subs[i]
	t += g.lat(5, 20)
	g.l3 = wire.IdentityRequest(g.l3[:0], wire.IDIMEISV)
	g.dtap(t, i, c, false, 0, 5, 0x18, "Identity Request")
	t += g.lat(150, 400)
	g.l3 = wire.IdentityResponse(g.l3[:0], wire.MobileID{Type: wire.IDIMEISV, Digits: s.imeisv})
	r := g.row(i, protoDTAP, 5, 0x19, "Identity Response")
	r.carry |= cIMEISV
	g.bss = wire.DTAP(g.bss[:0], 0, g.l3)
	g.dt1(t, c, true, r)
	m := &g.nw.mscs[s.msc]
	acn := wire.ACEquipmentMngt
	eir := wire.Addr{GT: g.nw.eir, SSN: wire.SSNEIR}
	tid := m.newTID()
	t += g.lat(5, 20)
	g.param = wire.CheckIMEIArg(g.param[:0], s.imei)
	g.tc(wire.TCBegin, tid, 0, acn, wire.CompInvoke, wire.OpCheckIMEI, g.param)
	g.sccpMAP(t, m.link, 0, eir, g.mscAddr(int(s.msc)), tid, g.mapRow(i, wire.OpCheckIMEI, 1, cIMEI, "checkIMEI"))
	t += g.lat(20, 80)
	g.param = wire.CheckIMEIRes(g.param[:0])
	g.tc(wire.TCEnd, 0, tid, acn, wire.CompResultLast, wire.OpCheckIMEI, g.param)
	g.sccpMAP(t, m.link, 1, g.mscAddr(int(s.msc)), eir, tid, g.mapRow(i, wire.OpCheckIMEI, 2, 0, "checkIMEI"))
	return t
}

// updateLocation registers i in its new VLR: updateLocation, the HLR's
// cancelLocation to the old VLR and insertSubscriberData. Roamers from a
// partner without an agreement are refused (a few percent).
func (g *gen) updateLocation(t int64, i int32, oldMSC int8) (int64, bool) {
	s := &g.subs[i]
	m := &g.nw.mscs[s.msc]
	acn := wire.ACNetworkLocUp
	vlr, hlr := g.vlrAddr(int(s.msc)), g.hlrAddr(i)
	tid := m.newTID()
	t += g.lat(5, 20)
	g.param = wire.UpdateLocationArg(g.param[:0], s.imsi, m.gt, m.gt)
	g.tc(wire.TCBegin, tid, 0, acn, wire.CompInvoke, wire.OpUpdateLocation, g.param)
	ul := g.mapRow(i, wire.OpUpdateLocation, 1, cIMSI, "updateLocation")
	if tr := s.trip; tr != nil && tr.registered {
		ul.mk = mark{ev: evRoamReturn, peer: tr.vlr}
	}
	g.sccpMAP(t, m.link, 0, hlr, vlr, tid, ul)
	if s.partner >= 0 && mix(uint64(i))%100 < 3 {
		t += g.lat(30, 150)
		g.tcap = wire.TCAP(g.tcap[:0], wire.TCEnd, 0, tid, acn, wire.Component{Kind: wire.CompError, InvokeID: 1, Op: wire.ErrRoamingNotAllowed})
		g.sccpMAP(t, m.link, 1, vlr, hlr, tid, g.mapRow(i, wire.ErrRoamingNotAllowed, 3, 0, "updateLocation"))
		return t, false
	}
	if oldMSC >= 0 {
		om := &g.nw.mscs[oldMSC]
		ctid := g.hlrTID + 1
		g.hlrTID++
		cacn := wire.ACLocationCancellation
		t += g.lat(10, 40)
		g.param = wire.CancelLocationArg(g.param[:0], s.imsi)
		g.tc(wire.TCBegin, ctid, 0, cacn, wire.CompInvoke, wire.OpCancelLocation, g.param)
		g.sccpMAP(t, om.link, 1, g.vlrAddr(int(oldMSC)), hlr, ctid, g.mapRow(i, wire.OpCancelLocation, 1, cIMSI, "cancelLocation"))
		t += g.lat(10, 40)
		g.tcap = wire.TCAP(g.tcap[:0], wire.TCEnd, 0, ctid, cacn, wire.Component{Kind: wire.CompResultLast, InvokeID: 1, Op: wire.OpCancelLocation})
		g.sccpMAP(t, om.link, 0, hlr, g.vlrAddr(int(oldMSC)), ctid, g.bareResult(i, wire.OpCancelLocation, "cancelLocation"))
	} else if tr := s.trip; tr != nil && tr.registered {
		t = g.cancelAbroad(t, i)
	}
	htid := g.hlrTID + 1
	g.hlrTID++
	t += g.lat(20, 80)
	g.param = wire.InsertSubscriberDataArg(g.param[:0], "", s.msisdn, true)
	g.tcap = wire.TCAP(g.tcap[:0], wire.TCContinue, htid, tid, acn, wire.Component{Kind: wire.CompInvoke, InvokeID: 1, Op: wire.OpInsertSubscriberData, Param: g.param})
	g.sccpMAP(t, m.link, 1, vlr, hlr, tid, revealed(g.mapRow(i, wire.OpInsertSubscriberData, 1, cMSISDN, "insertSubscriberData")))
	t += g.lat(10, 40)
	g.param = wire.InsertSubscriberDataRes(g.param[:0])
	g.tcap = wire.TCAP(g.tcap[:0], wire.TCContinue, tid, htid, wire.ACN{}, wire.Component{Kind: wire.CompResultLast, InvokeID: 1, Op: wire.OpInsertSubscriberData, Param: g.param})
	g.sccpMAP(t, m.link, 0, hlr, vlr, tid, g.mapRow(i, wire.OpInsertSubscriberData, 2, 0, "insertSubscriberData"))
	t += g.lat(10, 40)
	g.param = wire.UpdateLocationRes(g.param[:0], hlr.GT)
	g.tcap = wire.TCAP(g.tcap[:0], wire.TCEnd, 0, tid, wire.ACN{}, wire.Component{Kind: wire.CompResultLast, InvokeID: 1, Op: wire.OpUpdateLocation, Param: g.param})
	g.sccpMAP(t, m.link, 1, vlr, hlr, tid, g.mapRow(i, wire.OpUpdateLocation, 2, 0, "updateLocation"))
	return t, true
}

// purge tells the HLR that the VLR dropped a departed roamer.
func (g *gen) purge(i int32) {
	s := &g.subs[i]
	if s.msc < 0 {
		return
	}
	m := &g.nw.mscs[s.msc]
	acn := wire.ACMSPurging
	tid := m.newTID()
	t := g.now
	g.param = wire.PurgeMSArg(g.param[:0], s.imsi, m.gt)
	g.tc(wire.TCBegin, tid, 0, acn, wire.CompInvoke, wire.OpPurgeMS, g.param)
	g.sccpMAP(t, m.link, 0, g.hlrAddr(i), g.vlrAddr(int(s.msc)), tid, g.mapRow(i, wire.OpPurgeMS, 1, cIMSI, "purgeMS"))
	t += g.lat(20, 150)
	g.tcap = wire.TCAP(g.tcap[:0], wire.TCEnd, 0, tid, acn, wire.Component{Kind: wire.CompResultLast, InvokeID: 1, Op: wire.OpPurgeMS})
	g.sccpMAP(t, m.link, 1, g.vlrAddr(int(s.msc)), g.hlrAddr(i), tid, g.bareResult(i, wire.OpPurgeMS, "purgeMS"))
	g.freeTMSI(i)
	s.msc, s.vlrLA, s.tmsi, s.vectors = -1, -1, 0, 0
}

// handover moves an ongoing call from cell old to the subscriber's new cell:
// Handover Performed inside one BSC, the full inter-BSC sequence otherwise.
// Calls are not handed over between MSCs (that needs MAP-E); the call stays
// on the old cell until it ends.
func (g *gen) handover(i int32, old int32) {
	s := &g.subs[i]
	nw := g.nw
	oldLA, newLA := nw.cells[s.serving].la, nw.cells[s.cell].la
	if nw.las[oldLA].msc != nw.las[newLA].msc {
		return
	}
	t := g.now
	c := &s.conn
	b := &nw.bscs[c.bsc]
	tgt := g.cgi(s.cell)
	if oldLA == newLA {
		s.serving = s.cell
		g.bss = wire.HandoverPerformed(g.bss[:0], 0x0c, b.disc, tgt)
		r := g.row(i, protoBSSMAP, 0, 0x17, "Handover Performed")
		r.addCell(tgt, b.disc)
		g.dt1(t, c, true, r)
		return
	}
	g.cells = append(g.cells[:0], tgt)
	g.bss = wire.HandoverRequired(g.bss[:0], 0x0c, b.disc, g.cells)
	r := g.row(i, protoBSSMAP, 0, 0x11, "Handover Required")
	r.addCell(tgt, b.disc)
	g.dt1(t, c, true, r)
	m := &nw.mscs[nw.las[newLA].msc]
	nb := &nw.bscs[nw.las[newLA].bsc]
	nc := conn{id: g.newConn(), bsc: int32(nw.las[newLA].bsc), mscRef: m.newRef(), sls: c.sls, moLeg: c.moLeg}
	tr := g.triplet(i, s.authSer)
	t += g.lat(10, 40)
	srv := g.cgi(s.serving)
	g.bss = wire.HandoverRequest(g.bss[:0], &tr.Kc, nb.disc, srv, tgt, uint16(1+g.rng.IntN(1000)), s.imsi)
	p := g.out.msg(t, nb.link, 1, nc.sls)
	p.buf = wire.CR(p.buf, nc.mscRef, aAddr(nb), aAddr(m), g.bss)
	r = g.row(i, protoBSSMAP, 0, 0x10, "Handover Request")
	r.carry |= cIMSI
	r.addCell(srv, nb.disc)
	r.addCell(tgt, nb.disc)
	r.conn = nc.id
	p.add(r)
	g.out.push(p)
	t += g.lat(10, 40)
	nc.bscRef = nb.newRef()
	p = g.out.msg(t, nb.link, 0, nc.sls)
	p.buf = wire.CC(p.buf, nc.mscRef, nc.bscRef)
	g.out.push(p)
	t += g.lat(5, 20)
	g.bss = wire.HandoverRequestAck(g.bss[:0])
	g.bssmap(t, i, &nc, true, 0x12, "Handover Request Acknowledge")
	t += g.lat(10, 40)
	g.bss = wire.HandoverCommand(g.bss[:0])
	g.bssmap(t, i, c, false, 0x13, "Handover Command")
	t += g.lat(200, 600)
	s.serving = s.cell
	g.bss = wire.HandoverComplete(g.bss[:0])
	g.bssmap(t, i, &nc, true, 0x14, "Handover Complete")
	// Until the phone is on the new connection the call cannot be cleared
	// on it, nor handed over again.
	s.setupUntil = max(s.setupUntil, t+100*ms)
	old2 := *c
	s.conn = nc
	g.releaseOnly(t+g.lat(10, 40), i, &old2, 0x0b)
}

// releaseOnly clears a connection without touching the subscriber's timers.
func (g *gen) releaseOnly(t int64, i int32, c *conn, cause uint8) {
	s := &g.subs[i]
	busy, last, lu := s.busyUntil, s.lastSeen, s.next[tLU]
	g.release(t, i, c, cause)
	s.busyUntil, s.lastSeen, s.next[tLU] = busy, last, lu
}
