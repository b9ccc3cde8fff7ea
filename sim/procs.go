package sim

import (
	"encoding/binary"

	"github.com/sigprobe/sigprobe/sim/wire"
)

// conn is an SCCP connection on the A-interface between a BSC and its MSC.
type conn struct {
	id             uint32 // messages.csv's conn: numbered in the order opened
	bsc            int32
	bscRef, mscRef uint32
	sls            uint8
	moLeg          bool // for calls: the mobile originated the transaction
}

// newConn numbers a new SCCP connection (from 1).
func (g *gen) newConn() uint32 {
	g.conns++
	return g.conns
}

func (g *gen) lat(lo, hi int64) int64 { return (lo + g.rng.Int64N(hi-lo+1)) * ms }

func (n *node) newRef() uint32 {
	n.ref = (n.ref + 1) & 0xffffff
	if n.ref == 0 {
		n.ref = 1
	}
	return n.ref
}

func (n *node) newTID() uint32 { n.tid++; return n.tid }

func aAddr(n *node) wire.Addr { return wire.Addr{SSN: wire.SSNBSSAP, PC: uint16(n.pc), HasPC: true} }

// row starts a messages.csv row for subscriber i, observed in its serving cell.
func (g *gen) row(i int32, proto, pd, typ uint8, name string) row {
	r := row{sub: i, proto: proto, pd: pd, typ: typ, name: name, obs: -1}
	if i >= 0 && proto != protoMAP {
		r.obs = g.subs[i].serving
	}
	return r
}

func (r *row) addLAC(lac uint16) {
	if int(r.nlac) < len(r.lac) {
		r.lac[r.nlac] = lac
		r.nlac++
	}
}

// addCell records the cell identity fields a Cell Identifier of discriminator disc carries.
func (r *row) addCell(c wire.CGI, disc uint8) {
	if disc != wire.CellDiscCI {
		r.addLAC(c.LAI.LAC)
	}
	if int(r.nci) < len(r.ci) && (disc == wire.CellDiscCGI || disc == wire.CellDiscLACCI || disc == wire.CellDiscCI) {
		r.ci[r.nci] = c.CI
		r.nci++
	}
}

func (r *row) withTMSI(t uint32) *row { r.carry |= cTMSI; r.tmsi = t; return r }

// addRAND records a RAND the message carries (its first 8 octets).
func (r *row) addRAND(rand *[16]byte) {
	if int(r.nrand) < len(r.rands) {
		r.rands[r.nrand] = binary.BigEndian.Uint64(rand[:8])
		r.nrand++
	}
}

func (g *gen) cgi(c int32) wire.CGI { return g.nw.cells[c].cgi }

// ---- A-interface connection handling ----

// open starts an SCCP connection from subscriber i's cell: CR carrying
// Complete Layer 3 Information with the initial message, and the MSC's CC.
func (g *gen) open(t int64, i int32, l3 []byte, l3row row) (conn, int64) {
	s := &g.subs[i]
	s.serving = s.cell
	la := &g.nw.las[g.nw.cells[s.cell].la]
	b := &g.nw.bscs[la.bsc]
	m := &g.nw.mscs[la.msc]
	c := conn{id: g.newConn(), bsc: int32(la.bsc), bscRef: b.newRef(), sls: uint8(g.rng.IntN(16))}
	g.bss = wire.CompleteL3(g.bss[:0], b.disc, g.cgi(s.cell), l3)
	p := g.out.msg(t, b.link, 0, c.sls)
	p.buf = wire.CR(p.buf, c.bscRef, aAddr(m), aAddr(b), g.bss)
	r := g.row(i, protoBSSMAP, 0, 0x57, "Complete Layer 3 Information")
	r.addCell(g.cgi(s.cell), b.disc)
	r.conn = c.id
	p.add(r)
	l3row.obs, l3row.conn = s.serving, c.id
	p.add(l3row)
	g.out.push(p)
	t += g.lat(5, 30)
	c.mscRef = m.newRef()
	p = g.out.msg(t, b.link, 1, c.sls)
	p.buf = wire.CC(p.buf, c.bscRef, c.mscRef)
	g.out.push(p)
	return c, t
}

// dt1 sends a BSSAP PDU (in g.bss) on connection c, uplink or downlink,
// with its messages.csv rows (two for a DTAP carrying a MAP component).
func (g *gen) dt1(t int64, c *conn, up bool, rows ...row) {
	b := &g.nw.bscs[c.bsc]
	dir, dlr := uint8(1), c.bscRef
	if up {
		dir, dlr = 0, c.mscRef
	}
	p := g.out.msg(t, b.link, dir, c.sls)
	p.buf = wire.DT1(p.buf, dlr, g.bss)
	for k, r := range rows {
		r.conn = c.id
		if k == 0 && g.mark.ev != evNone {
			r.mk, g.mark = g.mark, mark{}
		}
		p.add(r)
	}
	g.out.push(p)
}

// dtap sends the layer-3 message in g.l3 as DTAP on c.
func (g *gen) dtap(t int64, i int32, c *conn, up bool, dlci, pd, typ uint8, name string) {
	g.bss = wire.DTAP(g.bss[:0], dlci, g.l3)
	g.dt1(t, c, up, g.row(i, protoDTAP, pd, typ, name))
}

func (g *gen) bssmap(t int64, i int32, c *conn, up bool, typ uint8, name string) {
	g.dt1(t, c, up, g.row(i, protoBSSMAP, 0, typ, name))
}

// release clears connection c: Clear Command/Complete, then RLSD/RLC.
func (g *gen) release(t int64, i int32, c *conn, cause uint8) int64 {
	g.bss = wire.ClearCommand(g.bss[:0], cause)
	g.bssmap(t, i, c, false, 0x20, "Clear Command")
	t += g.lat(20, 80)
	g.bss = wire.ClearComplete(g.bss[:0])
	g.bssmap(t, i, c, true, 0x21, "Clear Complete")
	b := &g.nw.bscs[c.bsc]
	t += g.lat(5, 20)
	p := g.out.msg(t, b.link, 1, c.sls)
	p.buf = wire.RLSD(p.buf, c.bscRef, c.mscRef, 0)
	g.out.push(p)
	t += g.lat(5, 20)
	p = g.out.msg(t, b.link, 0, c.sls)
	p.buf = wire.RLC(p.buf, c.mscRef, c.bscRef)
	g.out.push(p)
	s := &g.subs[i]
	s.lastSeen = t
	s.busyUntil = t
	s.next[tLU] = t + g.t3212
	if s.on && g.nw.cells[s.cell].la != s.vlrLA {
		s.next[tLU] = t + sec // moved to another location area meanwhile
	}
	return t
}

// secure runs authentication (when auth) and ciphering on c.
func (g *gen) secure(t int64, i int32, c *conn, auth bool) int64 {
	if auth {
		t = g.authenticate(t, i, c)
	}
	return g.cipher(t, i, c)
}

// triplet derives the authentication vector number n of subscriber i.
func (g *gen) triplet(i int32, n uint32) wire.Triplet {
	var tr wire.Triplet
	x := uint64(i)<<32 | uint64(n)
	for k := 0; k < 16; k += 8 {
		putU64(tr.RAND[k:], mix(x+uint64(k)))
	}
	putU64(tr.Kc[:], mix(x^0xabcdef))
	v := mix(x ^ 0x5a5a)
	tr.SRES = [4]byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)}
	return tr
}

func mix(x uint64) uint64 { // splitmix64 finaliser
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

func putU64(b []byte, v uint64) {
	for k := range 8 {
		b[k] = byte(v >> (8 * k))
	}
}

func (g *gen) tmsiID(i int32) wire.MobileID {
	return wire.MobileID{Type: wire.IDTMSI, TMSI: g.subs[i].tmsi}
}

// newTMSI gives subscriber i a TMSI of its VLR (s.msc): drawn from the
// scenario's tmsi_bits, never one the VLR has given to someone who still
// holds it (TS 23.003 2.4: unique within the VLR). Other VLRs may hand out
// the same value: they do not coordinate.
func (g *gen) newTMSI(i int32) uint32 {
	s := &g.subs[i]
	g.freeTMSI(i)
	if s.msc < 0 {
		return g.foreignTMSI()
	}
	if g.vlrTMSIs == nil {
		g.vlrTMSIs = make([]map[uint32]int32, len(g.nw.mscs))
		for k := range g.vlrTMSIs {
			g.vlrTMSIs[k] = make(map[uint32]int32)
		}
	}
	bits := g.sc.Network.TMSIBits
	if bits == 0 {
		bits = 32
	}
	mask := uint32(uint64(1)<<bits - 1)
	used := g.vlrTMSIs[s.msc]
	for {
		t := g.rng.Uint32() & mask
		if _, taken := used[t]; t != 0 && t != 0xffffffff && !taken {
			used[t] = i
			s.tmsiVLR = s.msc + 1
			return t
		}
	}
}

// freeTMSI: the VLR that gave i its TMSI forgets it (a new one, a purge).
func (g *gen) freeTMSI(i int32) {
	s := &g.subs[i]
	if v := s.tmsiVLR - 1; v >= 0 && g.vlrTMSIs[v][s.tmsi] == i {
		delete(g.vlrTMSIs[v], s.tmsi)
	}
	s.tmsiVLR = 0
}

// foreignTMSI is a TMSI from a network abroad.
func (g *gen) foreignTMSI() uint32 {
	for {
		if t := g.rng.Uint32(); t != 0 && t != 0xffffffff {
			return t
		}
	}
}

// ---- MAP over TCAP over SCCP on the core links ----

func (g *gen) hlrAddr(i int32) wire.Addr {
	s := &g.subs[i]
	gt := g.nw.hlr
	if s.partner >= 0 {
		gt = g.sc.Roaming[s.partner].CC + "9100001"
	}
	return wire.Addr{GT: gt, SSN: wire.SSNHLR}
}

func (g *gen) vlrAddr(m int) wire.Addr { return wire.Addr{GT: g.nw.mscs[m].gt, SSN: wire.SSNVLR} }
func (g *gen) mscAddr(m int) wire.Addr { return wire.Addr{GT: g.nw.mscs[m].gt, SSN: wire.SSNMSC} }

// sccpMAP queues the TCAP message in g.tcap on core link l: a UDT, or XUDT
// segments when it is too large for one. The MAP row goes on the last segment.
func (g *gen) sccpMAP(t int64, l int, dir uint8, called, calling wire.Addr, tid uint32, r row) {
	sls := uint8(tid & 0x0f)
	data := g.tcap
	limit := g.sc.Transport.XUDTThreshold
	if len(data) <= limit {
		p := g.out.msg(t, l, dir, sls)
		p.buf = wire.UDT(p.buf, 0x81, called, calling, data)
		p.add(r)
		g.out.push(p)
		return
	}
	nseg := (len(data) + limit - 1) / limit
	ref := g.rng.Uint32() & 0xffffff
	for k := range nseg {
		chunk := data[k*limit : min((k+1)*limit, len(data))]
		// Segments leave one by one, outside the bundling window.
		p := g.out.msg(t+int64(k)*(g.out.window+100_000), l, dir, sls)
		seg := wire.Segment{First: k == 0, Remaining: uint8(nseg - 1 - k), LocalRef: ref}
		p.buf = wire.XUDT(p.buf, 0x81, called, calling, chunk, &seg)
		if k == nseg-1 {
			p.add(r)
		}
		g.out.push(p)
	}
}

// bareResult is the row of a returnResultLast without parameter: the
// operation is known from the dialogue only.
func (g *gen) bareResult(i int32, op uint8, name string) row {
	r := g.mapRow(i, op, 2, 0, name)
	r.noOp = true
	return r
}

// mapRow starts a row for a MAP component.
func (g *gen) mapRow(i int32, op, comp uint8, carry uint8, name string) row {
	r := g.row(i, protoMAP, 0, op, name)
	r.comp, r.carry = comp, carry
	return r
}

func (g *gen) tc(kind uint8, otid, dtid uint32, acn wire.ACN, ck uint8, op uint8, param []byte) {
	g.tcap = wire.TCAP(g.tcap[:0], kind, otid, dtid, acn, wire.Component{Kind: ck, InvokeID: 1, Op: op, Param: param})
}

// sai fetches authentication vectors for i from its HLR.
func (g *gen) sai(t int64, i int32) int64 {
	s := &g.subs[i]
	m := &g.nw.mscs[s.msc]
	acn := wire.ACInfoRetrieval
	n := uint8(g.sc.Network.AuthVectors)
	tid := m.newTID()
	g.param = wire.SendAuthInfoArg(g.param[:0], s.imsi, n)
	g.tc(wire.TCBegin, tid, 0, acn, wire.CompInvoke, wire.OpSendAuthenticationInfo, g.param)
	g.sccpMAP(t, m.link, 0, g.hlrAddr(i), g.vlrAddr(int(s.msc)), tid, g.mapRow(i, wire.OpSendAuthenticationInfo, 1, cIMSI, "sendAuthenticationInfo"))
	g.triplets = g.triplets[:0]
	for k := range uint32(n) {
		g.triplets = append(g.triplets, g.triplet(i, s.authSer+1+k))
	}
	t += g.lat(20, 120)
	g.param = wire.SendAuthInfoRes(g.param[:0], g.triplets)
	g.tc(wire.TCEnd, 0, tid, acn, wire.CompResultLast, wire.OpSendAuthenticationInfo, g.param)
	r := g.mapRow(i, wire.OpSendAuthenticationInfo, 2, 0, "sendAuthenticationInfo")
	for k := range g.triplets {
		r.addRAND(&g.triplets[k].RAND)
	}
	g.sccpMAP(t, m.link, 1, g.vlrAddr(int(s.msc)), g.hlrAddr(i), tid, r)
	s.vectors = n
	return t
}
