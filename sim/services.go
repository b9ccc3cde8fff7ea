package sim

import (
	"github.com/sigprobe/sigprobe/sim/wire"
)

// CC causes (TS 24.008 10.5.4.11).
const (
	causeNormal     = 16
	causeBusy       = 17
	causeNoResponse = 18
	causeNoAnswer   = 19
	causeAbsent     = 20
)

// callTimer starts a call: mobile-originated, or an incoming call from
// another network.
func (g *gen) callTimer(i int32) {
	s := &g.subs[i]
	tr := g.sc.Traffic
	s.next[tCall] = g.poisson(g.now, g.callRate(i))
	if g.rng.Float64() < tr.OffNetShare/(1+tr.OffNetShare) {
		if s.msc >= 0 {
			g.incoming(i)
		}
		return
	}
	if !s.on || s.msc < 0 {
		return
	}
	if g.busy(i, tCall) {
		return
	}
	peer, number := g.pickPeer(i)
	g.moCall(i, peer, number)
}

func (g *gen) callRate(i int32) float64 {
	s := &g.subs[i]
	switch s.role {
	case roleCardFarm:
		return 0.02
	case roleRoamer:
		return g.sc.Traffic.CallsPerDay * 0.6
	}
	return g.sc.Traffic.CallsPerDay
}

// pickPeer chooses whom i calls or texts: colleagues in working hours,
// relatives and friends, other networks, international numbers, hotlines.
func (g *gen) pickPeer(i int32) (int32, string) {
	s := &g.subs[i]
	tr := g.sc.Traffic
	x := g.rng.Float64()
	switch {
	case s.partner >= 0 || x < tr.InternationalShare:
		cc := "44"
		if s.partner >= 0 {
			cc = g.sc.Roaming[s.partner].CC
		}
		return -1, cc + digitsFrom(g.rng.Uint64(), 9)
	case x < tr.InternationalShare+tr.HotlineShare && len(g.sc.Hotlines) > 0:
		return -1, g.sc.Hotlines[g.rng.IntN(len(g.sc.Hotlines))].Number
	case x < tr.InternationalShare+tr.HotlineShare+tr.OffNetShare:
		return -1, g.sc.CC + "71" + digitsFrom(g.rng.Uint64(), 7)
	}
	var p int32 = -1
	switch {
	case s.role == roleMember && g.atWork(s) && g.rng.Float64() < tr.ColleagueShare:
		ms := g.groupMembers[s.group]
		p = ms[g.rng.IntN(len(ms))]
	case s.rel >= 0 && g.rng.Float64() < tr.RelativeShare:
		p = s.rel
	default:
		p = int32(g.rng.IntN(len(g.subs)))
	}
	if p == i || g.subs[p].partner >= 0 {
		p = s.rel
		if p < 0 || p == i {
			return -1, g.sc.CC + "71" + digitsFrom(g.rng.Uint64(), 7)
		}
	}
	return p, g.subs[p].msisdn
}

// atWork: a member is in its own working hours (shift included) on one of
// its working days, local time.
func (g *gen) atWork(s *subscriber) bool {
	if !s.worksToday {
		return false
	}
	t := g.clk.secOfDay(g.now)
	if s.workEnd > s.workStart {
		return t >= s.workStart && t < s.workEnd
	}
	return t >= s.workStart || t < s.workEnd // a night shift past midnight
}

func digitsFrom(v uint64, n int) string {
	b := make([]byte, n)
	for k := range b {
		b[k] = byte('0' + v%10)
		v /= 10
	}
	return string(b)
}

// moCall: subscriber i calls number (peer >= 0 when it is one of ours).
func (g *gen) moCall(i, peer int32, number string) {
	s := &g.subs[i]
	c, t := g.cmService(i, 1)
	c.moLeg = true
	t += g.lat(20, 60)
	g.l3 = wire.CCSetupMO(g.l3[:0], 0, number)
	s.leg = g.out.newLeg(i)
	g.markNext(mark{ev: evSetup, leg: s.leg, mo: true, peer: number})
	g.dtap(t, i, &c, true, 0, 3, 0x05, "Setup")
	t += g.lat(10, 40)
	g.l3 = wire.CCSimple(g.l3[:0], 0, false, wire.CCCallProceeding)
	g.dtap(t, i, &c, false, 0, 3, 0x02, "Call Proceeding")
	t = g.assign(t, i, &c)
	var alert, answer int64
	cause := uint8(0)
	if peer >= 0 {
		alert, answer, cause = g.mtLeg(t, peer, s.msisdn, int(s.msc))
	} else {
		alert = t + g.lat(1500, 5000)
		answer = alert + g.lat(3000, 15000)
		if g.rng.Float64() < 0.15 {
			cause = causeNoAnswer
		}
	}
	if cause == 0 || cause == causeNoAnswer {
		g.l3 = wire.CCSimple(g.l3[:0], 0, false, wire.CCAlerting)
		g.dtap(alert, i, &c, false, 0, 3, 0x01, "Alerting")
	}
	if cause != 0 {
		end := t + g.lat(500, 3000)
		if cause == causeNoAnswer {
			end = alert + g.lat(20000, 30000)
		}
		g.clearCall(end, i, &c, false, cause)
		return
	}
	g.l3 = wire.CCSimple(g.l3[:0], 0, false, wire.CCConnect)
	g.markNext(mark{ev: evAnswer, leg: s.leg})
	g.dtap(answer, i, &c, false, 0, 3, 0x07, "Connect")
	g.l3 = wire.CCSimple(g.l3[:0], 0, true, wire.CCConnectAck)
	g.dtap(answer+g.lat(100, 300), i, &c, true, 0, 3, 0x0f, "Connect Acknowledge")
	dur := int64(g.rng.ExpFloat64() * g.sc.Traffic.MeanCallSeconds * float64(sec))
	dur = max(3*sec, min(dur, 3600*sec))
	s.call, s.conn = peer, c
	s.setupUntil = answer + 400*ms
	if peer < 0 {
		s.call = -2
	}
	s.busyUntil = never
	s.next[tCallEnd] = answer + dur
	if peer >= 0 {
		g.subs[peer].call = i
		g.subs[peer].busyUntil = never
		g.subs[peer].setupUntil = answer + 400*ms
	}
}

// cmService opens a connection with CM Service Request (svc: 1 call,
// 4 SMS, 8 supplementary services) and secures it.
func (g *gen) cmService(i int32, svc uint8) (conn, int64) {
	s := &g.subs[i]
	g.l3 = wire.CMServiceRequest(g.l3[:0], svc, s.cksn, g.tmsiID(i))
	r := g.row(i, protoDTAP, 5, 0x24, "CM Service Request")
	r.withTMSI(s.tmsi)
	c, t := g.open(g.now, i, g.l3, r)
	return c, g.secure(t, i, &c, g.authNow(i))
}

// authNow applies the every-Nth-request authentication policy.
func (g *gen) authNow(i int32) bool {
	s := &g.subs[i]
	s.cmCount++
	return int(s.cmCount)%g.sc.Network.AuthEveryN == 0
}

func (g *gen) assign(t int64, i int32, c *conn) int64 {
	t += g.lat(10, 40)
	g.bss = wire.AssignmentRequest(g.bss[:0], uint16(1+g.rng.IntN(2000)))
	g.bssmap(t, i, c, false, 0x01, "Assignment Request")
	t += g.lat(80, 250)
	g.bss = wire.AssignmentComplete(g.bss[:0])
	g.bssmap(t, i, c, true, 0x02, "Assignment Complete")
	return t
}

// incoming: a call from another network reaches i through a gateway MSC.
func (g *gen) incoming(i int32) {
	gmsc := g.rng.IntN(len(g.nw.mscs))
	alert, answer, cause := g.mtLeg(g.now, i, g.sc.CC+"71"+digitsFrom(g.rng.Uint64(), 7), gmsc)
	_ = alert
	if cause != 0 {
		return
	}
	s := &g.subs[i]
	dur := int64(g.rng.ExpFloat64() * g.sc.Traffic.MeanCallSeconds * float64(sec))
	s.call = -2
	s.busyUntil = never
	s.setupUntil = answer + 400*ms
	s.next[tCallEnd] = answer + max(3*sec, min(dur, 3600*sec))
}

// mtLeg delivers a call to subscriber b: SRI from the gateway, PRN to b's
// VLR, paging and the terminating call setup. It returns when b's phone
// alerted and answered, or the CC cause that failed the call.
func (g *gen) mtLeg(t int64, b int32, calling string, gmsc int) (alert, answer int64, cause uint8) {
	s := &g.subs[b]
	gm := &g.nw.mscs[gmsc]
	hlr := g.hlrAddr(b)
	acn := wire.ACLocationInfoRetrieval
	tid := gm.newTID()
	t += g.lat(5, 20)
	g.param = wire.SendRoutingInfoArg(g.param[:0], s.msisdn, gm.gt)
	g.tc(wire.TCBegin, tid, 0, acn, wire.CompInvoke, wire.OpSendRoutingInfo, g.param)
	g.sccpMAP(t, gm.link, 0, hlr, g.mscAddr(gmsc), tid, g.mapRow(b, wire.OpSendRoutingInfo, 1, cMSISDN, "sendRoutingInfo"))
	sriErr := func(t int64) {
		g.tcap = wire.TCAP(g.tcap[:0], wire.TCEnd, 0, tid, acn, wire.Component{Kind: wire.CompError, InvokeID: 1, Op: wire.ErrAbsentSubscriber})
		g.sccpMAP(t, gm.link, 1, g.mscAddr(gmsc), hlr, tid, g.mapRow(b, wire.ErrAbsentSubscriber, 3, 0, "sendRoutingInfo"))
	}
	if s.msc < 0 {
		sriErr(t + g.lat(10, 40))
		return 0, 0, causeAbsent
	}
	m := &g.nw.mscs[s.msc]
	pacn := wire.ACRoamingNumberEnquiry
	ptid := g.hlrTID + 1
	g.hlrTID++
	t += g.lat(10, 40)
	g.param = wire.ProvideRoamingNumberArg(g.param[:0], s.imsi, m.gt, s.msisdn, gm.gt)
	g.tc(wire.TCBegin, ptid, 0, pacn, wire.CompInvoke, wire.OpProvideRoamingNumber, g.param)
	g.sccpMAP(t, m.link, 1, g.vlrAddr(int(s.msc)), hlr, ptid, revealed(g.mapRow(b, wire.OpProvideRoamingNumber, 1, cIMSI|cMSISDN, "provideRoamingNumber")))
	t += g.lat(10, 40)
	if g.vlrAbsent(b) {
		g.tcap = wire.TCAP(g.tcap[:0], wire.TCEnd, 0, ptid, pacn, wire.Component{Kind: wire.CompError, InvokeID: 1, Op: wire.ErrAbsentSubscriber})
		g.sccpMAP(t, m.link, 0, hlr, g.vlrAddr(int(s.msc)), ptid, g.mapRow(b, wire.ErrAbsentSubscriber, 3, 0, "provideRoamingNumber"))
		sriErr(t + g.lat(10, 40))
		return 0, 0, causeAbsent
	}
	msrn := g.sc.CC + g.sc.NDC + "99" + digitsFrom(g.rng.Uint64(), 5)
	g.param = wire.ProvideRoamingNumberRes(g.param[:0], msrn)
	g.tc(wire.TCEnd, 0, ptid, pacn, wire.CompResultLast, wire.OpProvideRoamingNumber, g.param)
	g.sccpMAP(t, m.link, 0, hlr, g.vlrAddr(int(s.msc)), ptid, g.mapRow(b, wire.OpProvideRoamingNumber, 2, 0, "provideRoamingNumber"))
	t += g.lat(10, 40)
	g.param = wire.SendRoutingInfoRes(g.param[:0], s.imsi, msrn)
	g.tc(wire.TCEnd, 0, tid, acn, wire.CompResultLast, wire.OpSendRoutingInfo, g.param)
	g.sccpMAP(t, gm.link, 1, g.mscAddr(gmsc), hlr, tid, revealed(g.mapRow(b, wire.OpSendRoutingInfo, 2, cIMSI, "sendRoutingInfo")))
	if s.call != -1 || s.busyUntil > t {
		return 0, 0, causeBusy
	}
	c, t, ok := g.page(t+g.lat(20, 60), b)
	if !ok {
		return 0, 0, causeNoResponse
	}
	c.moLeg = false
	t = g.secure(t, b, &c, g.authNow(b))
	t += g.lat(20, 60)
	g.l3 = wire.CCSetupMT(g.l3[:0], 0, calling)
	s.leg = g.out.newLeg(b)
	g.markNext(mark{ev: evSetup, leg: s.leg, peer: calling})
	g.dtap(t, b, &c, false, 0, 3, 0x05, "Setup")
	t += g.lat(150, 400)
	g.l3 = wire.CCSimple(g.l3[:0], 0, false, wire.CCCallConfirmed)
	g.dtap(t, b, &c, true, 0, 3, 0x08, "Call Confirmed")
	t = g.assign(t, b, &c)
	alert = t + g.lat(300, 1500)
	g.l3 = wire.CCSimple(g.l3[:0], 0, false, wire.CCAlerting)
	g.dtap(alert, b, &c, true, 0, 3, 0x01, "Alerting")
	if g.rng.Float64() < 0.12 {
		g.clearCall(alert+g.lat(20000, 30000), b, &c, false, causeNoAnswer)
		return alert, 0, causeNoAnswer
	}
	answer = alert + g.lat(2000, 15000)
	g.l3 = wire.CCSimple(g.l3[:0], 0, false, wire.CCConnect)
	g.markNext(mark{ev: evAnswer, leg: s.leg})
	g.dtap(answer, b, &c, true, 0, 3, 0x07, "Connect")
	g.l3 = wire.CCSimple(g.l3[:0], 0, true, wire.CCConnectAck)
	g.dtap(answer+g.lat(20, 80), b, &c, false, 0, 3, 0x0f, "Connect Acknowledge")
	s.conn = c
	s.busyUntil = never
	return alert, answer + 50*ms, 0
}

// vlrAbsent: the VLR holds b as detached, explicitly or implicitly (no
// contact for longer than T3212 plus a guard).
func (g *gen) vlrAbsent(b int32) bool {
	s := &g.subs[b]
	return s.detached || !s.on && g.now-s.lastSeen > g.t3212+30*60*sec
}

// page sends BSSMAP Paging (IMSI and TMSI) to the BSC of b's location area
// and, if the phone is there, opens the connection with its Paging Response.
func (g *gen) page(t int64, b int32) (conn, int64, bool) {
	s := &g.subs[b]
	la := &g.nw.las[s.vlrLA]
	bsc := &g.nw.bscs[la.bsc]
	m := &g.nw.mscs[la.msc]
	g.cells = append(g.cells[:0], wire.CGI{LAI: la.lai})
	g.bss = wire.Paging(g.bss[:0], s.imsi, s.tmsi, s.tmsi != 0, wire.CellDiscLAC, g.cells)
	p := g.out.msg(t, bsc.link, 1, uint8(s.tmsi&0xf))
	p.buf = wire.UDT(p.buf, 0, aAddr(bsc), aAddr(m), g.bss)
	r := g.row(b, protoBSSMAP, 0, 0x52, "Paging")
	r.obs = -1
	r.carry |= cIMSI
	r.withTMSI(s.tmsi)
	r.addLAC(la.lai.LAC)
	p.add(r)
	g.out.push(p)
	if !s.on || g.nw.cells[s.cell].la != s.vlrLA || s.busyUntil > t {
		return conn{}, t, false
	}
	t += g.lat(300, 1200)
	g.l3 = wire.PagingResponse(g.l3[:0], s.cksn, g.tmsiID(b))
	pr := g.row(b, protoDTAP, 6, 0x27, "Paging Response")
	pr.withTMSI(s.tmsi)
	c, t := g.open(t, b, g.l3, pr)
	s.busyUntil = t + 10*sec
	return c, t, true
}

// clearCall releases a call leg: Disconnect, Release, Release Complete, then
// the connection. fromMS: the mobile hangs up.
func (g *gen) clearCall(t int64, i int32, c *conn, fromMS bool, cause uint8) int64 {
	up := fromMS
	g.l3 = wire.CCDisconnect(g.l3[:0], 0, up == c.moLeg, cause)
	g.markNext(mark{ev: evRelease, leg: g.subs[i].leg, cause: cause})
	g.subs[i].leg = 0
	g.dtap(t, i, c, up, 0, 3, 0x25, "Disconnect")
	t += g.lat(20, 150)
	g.l3 = wire.CCRelease(g.l3[:0], 0, !up == c.moLeg, causeNormal)
	g.dtap(t, i, c, !up, 0, 3, 0x2d, "Release")
	t += g.lat(20, 150)
	g.l3 = wire.CCSimple(g.l3[:0], 0, up == c.moLeg, wire.CCReleaseComplete)
	g.dtap(t, i, c, up, 0, 3, 0x2a, "Release Complete")
	return g.release(t+g.lat(10, 40), i, c, 0x09)
}

// endCall ends i's call and, for on-net calls, the peer's leg.
func (g *gen) endCall(i int32) {
	s := &g.subs[i]
	if s.call == -1 {
		return
	}
	if until := max(s.setupUntil, g.peerSetup(s.call)); until > g.now {
		s.next[tCallEnd] = until + ms // a handover is under way
		return
	}
	peer := s.call
	byMe := g.rng.IntN(2) == 0
	if g.rng.Float64() < 0.02 {
		// Radio link failure: the BSC asks to clear; the peer hears a network Disconnect.
		g.bss = wire.ClearRequest(g.bss[:0], 0x01)
		g.markNext(mark{ev: evRelease, leg: s.leg})
		s.leg = 0
		g.bssmap(g.now, i, &s.conn, true, 0x22, "Clear Request")
		g.release(g.now+g.lat(10, 40), i, &s.conn, 0x01)
		byMe = true
	} else {
		g.clearCall(g.now, i, &s.conn, byMe, causeNormal)
	}
	s.call = -1
	if peer >= 0 {
		p := &g.subs[peer]
		g.clearCall(g.now+g.lat(30, 100), peer, &p.conn, false, causeNormal)
		p.call = -1
	}
	if !s.on {
		g.switchOff(i, true)
	}
}

// peerSetup is the setupUntil of an on-net call peer (0 for other calls).
func (g *gen) peerSetup(peer int32) int64 {
	if peer < 0 {
		return 0
	}
	return g.subs[peer].setupUntil
}

// ---- SMS ----

func (g *gen) smsTimer(i int32) {
	s := &g.subs[i]
	rate := g.sc.Traffic.SMSPerDay
	if s.role == roleCardFarm {
		rate = 0.05
	}
	s.next[tSMS] = g.poisson(g.now, rate)
	if !s.on || s.msc < 0 {
		return
	}
	if g.busy(i, tSMS) {
		return
	}
	peer, number := g.pickPeer(i)
	long := g.rng.Float64() < 0.1
	text := smsText(long, g.rng.IntN(len(shortTexts)))
	g.moSMS(i, number, text)
	if peer >= 0 {
		g.mtSMS(s.busyUntil+g.lat(500, 4000), peer, s.msisdn, text)
	}
}

var shortTexts = []string{"OK see you soon", "Call me when you can", "Running late 10 min", "Yes", "Lunch at 1", "Happy birthday"}

// longText fills a whole SMS: 160 GSM 7-bit characters, 140 octets.
const longText = "Reminder for tomorrow. The project review moves to the big meeting room on the third floor at nine thirty. Please bring the printed plans and your laptop. Thank"

func smsText(long bool, k int) string {
	if long {
		return longText
	}
	return shortTexts[k]
}

func (g *gen) smscAddr() wire.Addr { return wire.Addr{GT: g.nw.smsc.gt, SSN: wire.SSNMSC} }

func (g *gen) moSMS(i int32, dest, text string) {
	s := &g.subs[i]
	c, t := g.cmService(i, 4)
	mr := uint8(g.rng.IntN(256))
	g.tpdu = wire.SMSSubmit(g.tpdu[:0], mr, dest, text)
	g.rp = wire.RPDataMO(g.rp[:0], mr, g.nw.smsc.gt, g.tpdu)
	t += g.lat(50, 200)
	g.l3 = wire.CPData(g.l3[:0], 0, true, g.rp)
	g.markNext(mark{ev: evSMSMO, peer: dest})
	g.dtap(t, i, &c, true, 3, 9, 0x01, "CP-DATA")
	t += g.lat(10, 40)
	g.l3 = wire.CPAck(g.l3[:0], 0, false)
	g.dtap(t, i, &c, false, 3, 9, 0x04, "CP-ACK")
	m := &g.nw.mscs[s.msc]
	acn := wire.ACShortMsgMORelay
	tid := m.newTID()
	t += g.lat(5, 20)
	g.param = wire.MOForwardSMArg(g.param[:0], g.nw.smsc.gt, s.msisdn, g.tpdu, s.imsi)
	g.tc(wire.TCBegin, tid, 0, acn, wire.CompInvoke, wire.OpMOForwardSM, g.param)
	g.sccpMAP(t, m.link, 0, g.smscAddr(), g.mscAddr(int(s.msc)), tid, revealed(g.mapRow(i, wire.OpMOForwardSM, 1, cIMSI|cMSISDN, "mo-forwardSM")))
	t += g.lat(50, 300)
	g.tcap = wire.TCAP(g.tcap[:0], wire.TCEnd, 0, tid, acn, wire.Component{Kind: wire.CompResultLast, InvokeID: 1, Op: wire.OpMOForwardSM})
	g.sccpMAP(t, m.link, 1, g.mscAddr(int(s.msc)), g.smscAddr(), tid, g.bareResult(i, wire.OpMOForwardSM, "mo-forwardSM"))
	t += g.lat(5, 20)
	g.rp = wire.RPAck(g.rp[:0], mr, false)
	g.l3 = wire.CPData(g.l3[:0], 0, false, g.rp)
	g.dtap(t, i, &c, false, 3, 9, 0x01, "CP-DATA")
	t += g.lat(100, 300)
	g.l3 = wire.CPAck(g.l3[:0], 0, true)
	g.dtap(t, i, &c, true, 3, 9, 0x04, "CP-ACK")
	if g.rng.Float64() < 0.1 {
		t = g.reallocTMSI(t, i, &c)
	}
	g.release(t+g.lat(10, 40), i, &c, 0x09)
}

// reallocTMSI gives i a new TMSI on an open connection (TMSI Reallocation Command).
func (g *gen) reallocTMSI(t int64, i int32, c *conn) int64 {
	s := &g.subs[i]
	s.tmsi = g.newTMSI(i)
	lai := g.nw.las[s.vlrLA].lai
	t += g.lat(10, 40)
	g.l3 = wire.TMSIReallocCommand(g.l3[:0], lai, s.tmsi)
	r := g.row(i, protoDTAP, 5, 0x1a, "TMSI Reallocation Command")
	r.addLAC(lai.LAC)
	r.withTMSI(s.tmsi)
	g.bss = wire.DTAP(g.bss[:0], 0, g.l3)
	g.dt1(t, c, false, r)
	t += g.lat(150, 400)
	g.l3 = wire.TMSIReallocComplete(g.l3[:0])
	g.dtap(t, i, c, true, 0, 5, 0x1b, "TMSI Reallocation Complete")
	return t
}

// mtSMS delivers a short message to b: SRI-SM and mt-forwardSM from the SMSC,
// paging and the CP/RP exchange.
func (g *gen) mtSMS(t int64, b int32, orig, text string) {
	s := &g.subs[b]
	sl := g.nw.smsc.link
	hlr := g.hlrAddr(b)
	acn := wire.ACShortMsgGateway
	tid := g.nw.smsc.newTID()
	g.param = wire.SRISMArg(g.param[:0], s.msisdn, g.nw.smsc.gt)
	g.tc(wire.TCBegin, tid, 0, acn, wire.CompInvoke, wire.OpSendRoutingInfoForSM, g.param)
	g.sccpMAP(t, sl, 0, hlr, g.smscAddr(), tid, g.mapRow(b, wire.OpSendRoutingInfoForSM, 1, cMSISDN, "sendRoutingInfoForSM"))
	t += g.lat(10, 60)
	if s.msc < 0 || g.vlrAbsent(b) {
		g.tcap = wire.TCAP(g.tcap[:0], wire.TCEnd, 0, tid, acn, wire.Component{Kind: wire.CompError, InvokeID: 1, Op: wire.ErrAbsentSubscriberSM})
		g.sccpMAP(t, sl, 1, g.smscAddr(), hlr, tid, g.mapRow(b, wire.ErrAbsentSubscriberSM, 3, 0, "sendRoutingInfoForSM"))
		return
	}
	m := &g.nw.mscs[s.msc]
	g.param = wire.SRISMRes(g.param[:0], s.imsi, m.gt)
	g.tc(wire.TCEnd, 0, tid, acn, wire.CompResultLast, wire.OpSendRoutingInfoForSM, g.param)
	g.sccpMAP(t, sl, 1, g.smscAddr(), hlr, tid, revealed(g.mapRow(b, wire.OpSendRoutingInfoForSM, 2, cIMSI, "sendRoutingInfoForSM")))
	macn := wire.ACShortMsgMTRelay
	mtid := g.nw.smsc.newTID()
	t += g.lat(10, 60)
	g.tpdu = wire.SMSDeliver(g.tpdu[:0], orig, t/sec, text)
	g.param = wire.MTForwardSMArg(g.param[:0], s.imsi, g.nw.smsc.gt, g.tpdu)
	g.tc(wire.TCBegin, mtid, 0, macn, wire.CompInvoke, wire.OpMTForwardSM, g.param)
	g.sccpMAP(t, sl, 0, g.mscAddr(int(s.msc)), g.smscAddr(), mtid, g.mapRow(b, wire.OpMTForwardSM, 1, cIMSI, "mt-forwardSM"))
	mtEnd := func(t int64, ok bool) {
		if ok {
			g.tcap = wire.TCAP(g.tcap[:0], wire.TCEnd, 0, mtid, macn, wire.Component{Kind: wire.CompResultLast, InvokeID: 1, Op: wire.OpMTForwardSM})
			g.sccpMAP(t, sl, 1, g.smscAddr(), g.mscAddr(int(s.msc)), mtid, g.bareResult(b, wire.OpMTForwardSM, "mt-forwardSM"))
			return
		}
		g.tcap = wire.TCAP(g.tcap[:0], wire.TCEnd, 0, mtid, macn, wire.Component{Kind: wire.CompError, InvokeID: 1, Op: wire.ErrAbsentSubscriberSM})
		g.sccpMAP(t, sl, 1, g.smscAddr(), g.mscAddr(int(s.msc)), mtid, g.mapRow(b, wire.ErrAbsentSubscriberSM, 3, 0, "mt-forwardSM"))
	}
	if s.call != -1 || s.busyUntil > t {
		mtEnd(t+g.lat(100, 300), false) // busy: the SMSC retries later (not modelled)
		return
	}
	c, t, ok := g.page(t+g.lat(20, 60), b)
	if !ok {
		mtEnd(t+5*sec, false)
		return
	}
	t = g.secure(t, b, &c, g.authNow(b))
	mr := uint8(g.rng.IntN(256))
	g.rp = wire.RPDataMT(g.rp[:0], mr, g.nw.smsc.gt, g.tpdu)
	t += g.lat(20, 60)
	g.l3 = wire.CPData(g.l3[:0], 0, true, g.rp)
	g.markNext(mark{ev: evSMSMT, peer: orig})
	g.dtap(t, b, &c, false, 3, 9, 0x01, "CP-DATA")
	t += g.lat(100, 300)
	g.l3 = wire.CPAck(g.l3[:0], 0, false)
	g.dtap(t, b, &c, true, 3, 9, 0x04, "CP-ACK")
	t += g.lat(20, 100)
	g.rp = wire.RPAck(g.rp[:0], mr, true)
	g.l3 = wire.CPData(g.l3[:0], 0, false, g.rp)
	g.dtap(t, b, &c, true, 3, 9, 0x01, "CP-DATA")
	t += g.lat(10, 40)
	g.l3 = wire.CPAck(g.l3[:0], 0, true)
	g.dtap(t, b, &c, false, 3, 9, 0x04, "CP-ACK")
	mtEnd(t+g.lat(5, 20), true)
	g.release(t+g.lat(10, 40), b, &c, 0x09)
}

// ---- USSD, location queries, purge ----

func (g *gen) miscTimer(i int32) {
	s := &g.subs[i]
	if s.role == roleRoamer && !s.on && s.msc >= 0 {
		g.purge(i)
		s.next[tMisc] = never
		return
	}
	tr := g.sc.Traffic
	s.next[tMisc] = g.poisson(g.now, tr.USSDPerDay+tr.LocationQueriesPerDay)
	if s.msc < 0 {
		return
	}
	if g.rng.Float64()*(tr.USSDPerDay+tr.LocationQueriesPerDay) < tr.LocationQueriesPerDay {
		g.locationQuery(i)
		return
	}
	if s.on && !g.busy(i, tMisc) {
		g.ussd(i)
	}
}

func (g *gen) ussd(i int32) {
	s := &g.subs[i]
	c, t := g.cmService(i, 8)
	t += g.lat(50, 200)
	g.param = wire.USSDArg(g.param[:0], "*100#", "")
	g.fac = wire.Comp(g.fac[:0], wire.Component{Kind: wire.CompInvoke, InvokeID: 1, Op: wire.OpProcessUSSD, Param: g.param})
	g.l3 = wire.SSRegister(g.l3[:0], 0, g.fac)
	g.bss = wire.DTAP(g.bss[:0], 0, g.l3)
	g.markNext(mark{ev: evUSSD})
	g.dt1(t, &c, true, g.row(i, protoDTAP, 11, 0x3b, "Register"), g.mapRow(i, wire.OpProcessUSSD, 1, 0, "processUnstructuredSS-Request"))
	m := &g.nw.mscs[s.msc]
	acn := wire.ACNetworkUnstructuredSs
	tid := m.newTID()
	t += g.lat(5, 20)
	g.param = wire.USSDArg(g.param[:0], "*100#", s.msisdn)
	g.tc(wire.TCBegin, tid, 0, acn, wire.CompInvoke, wire.OpProcessUSSD, g.param)
	g.sccpMAP(t, m.link, 0, g.hlrAddr(i), g.mscAddr(int(s.msc)), tid, g.mapRow(i, wire.OpProcessUSSD, 1, cMSISDN, "processUnstructuredSS-Request"))
	t += g.lat(100, 500)
	g.param = wire.USSDRes(g.param[:0], "Balance 12.50")
	g.tc(wire.TCEnd, 0, tid, acn, wire.CompResultLast, wire.OpProcessUSSD, g.param)
	g.sccpMAP(t, m.link, 1, g.mscAddr(int(s.msc)), g.hlrAddr(i), tid, g.mapRow(i, wire.OpProcessUSSD, 2, 0, "processUnstructuredSS-Request"))
	t += g.lat(5, 20)
	g.fac = wire.Comp(g.fac[:0], wire.Component{Kind: wire.CompResultLast, InvokeID: 1, Op: wire.OpProcessUSSD, Param: g.param})
	g.l3 = wire.SSReleaseComplete(g.l3[:0], 0, false, g.fac)
	g.bss = wire.DTAP(g.bss[:0], 0, g.l3)
	g.dt1(t, &c, false, g.row(i, protoDTAP, 11, 0x2a, "Release Complete"), g.mapRow(i, wire.OpProcessUSSD, 2, 0, "processUnstructuredSS-Request"))
	g.release(t+g.lat(10, 40), i, &c, 0x09)
}

// locationQuery: a location service asks the HLR where i is (ATI); the HLR
// asks the VLR (PSI), which answers with the last known cell.
func (g *gen) locationQuery(i int32) {
	s := &g.subs[i]
	if s.partner >= 0 || s.vlrLA < 0 {
		return
	}
	last := s.serving
	if last < 0 {
		last = g.nw.las[s.vlrLA].cells[0]
	}
	cgi := g.cgi(last)
	sl := g.nw.scf.link
	scf := wire.Addr{GT: g.nw.scf.gt, SSN: wire.SSNSCF}
	hlr := g.hlrAddr(i)
	acn := wire.ACAnyTimeEnquiry
	tid := g.nw.scf.newTID()
	t := g.now
	g.param = wire.ATIArg(g.param[:0], s.msisdn, g.nw.scf.gt)
	g.tc(wire.TCBegin, tid, 0, acn, wire.CompInvoke, wire.OpAnyTimeInterrogation, g.param)
	g.sccpMAP(t, sl, 0, hlr, scf, tid, g.mapRow(i, wire.OpAnyTimeInterrogation, 1, cMSISDN, "anyTimeInterrogation"))
	m := &g.nw.mscs[s.msc]
	pacn := wire.ACSubscriberInfoEnquiry
	ptid := g.hlrTID + 1
	g.hlrTID++
	t += g.lat(10, 40)
	g.param = wire.PSIArg(g.param[:0], s.imsi)
	g.tc(wire.TCBegin, ptid, 0, pacn, wire.CompInvoke, wire.OpProvideSubscriberInfo, g.param)
	g.sccpMAP(t, m.link, 1, g.vlrAddr(int(s.msc)), hlr, ptid, g.mapRow(i, wire.OpProvideSubscriberInfo, 1, cIMSI, "provideSubscriberInfo"))
	t += g.lat(10, 40)
	g.param = wire.PSIRes(g.param[:0], m.gt, cgi)
	g.tc(wire.TCEnd, 0, ptid, pacn, wire.CompResultLast, wire.OpProvideSubscriberInfo, g.param)
	r := g.mapRow(i, wire.OpProvideSubscriberInfo, 2, 0, "provideSubscriberInfo")
	r.addCell(cgi, wire.CellDiscCGI)
	g.sccpMAP(t, m.link, 0, hlr, g.vlrAddr(int(s.msc)), ptid, r)
	t += g.lat(10, 40)
	g.param = wire.ATIRes(g.param[:0], m.gt, cgi)
	g.tc(wire.TCEnd, 0, tid, acn, wire.CompResultLast, wire.OpAnyTimeInterrogation, g.param)
	r = g.mapRow(i, wire.OpAnyTimeInterrogation, 2, 0, "anyTimeInterrogation")
	r.addCell(cgi, wire.CellDiscCGI)
	g.sccpMAP(t, sl, 1, scf, hlr, tid, r)
}
