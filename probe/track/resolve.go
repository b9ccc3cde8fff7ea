package track

import (
	"cmp"
	"slices"
	"unsafe"

	"github.com/sigprobe/sigprobe/decode"
	"github.com/sigprobe/sigprobe/decode/bssap"
	"github.com/sigprobe/sigprobe/decode/ident"
	"github.com/sigprobe/sigprobe/decode/sccp"
	"github.com/sigprobe/sigprobe/decode/tcap"
	"github.com/sigprobe/sigprobe/sink"
)

// Resolver attributes decoded messages to subscribers and turns them into
// observations. It needs a global view — a TMSI allocated on one BSC's link
// is used on another's — so one Resolver sees every message, in capture
// order. It is not safe for concurrent use.
//
// Identity sources: the IMSI in a message; a TMSI already mapped; the SCCP
// connection a message travels on (all messages of a connection belong to
// the subscriber of its Complete Layer 3 Information, or of the IMSI in a
// Handover Request); TCAP transactions (a result belongs to its invoke's
// subscriber). TMSI→IMSI comes from Paging (both identities), Identity
// Response on a TMSI connection, TMSI allocation (Location Updating
// Accept, TMSI Reallocation Command) on a known connection, and MAP
// sendIdentification (the invoke's TMSI, the result's IMSI, tied by their
// TCAP transaction). What happens on a
// connection whose TMSI is not known yet is held back and replayed under the
// IMSI once a later message reveals it (a "provisional" subscriber), so the
// first hours after a probe starts are not lost.
type Resolver struct {
	emit func(*Obs)
	// st keeps the subscribers, and with them TMSI→IMSI.
	st *State
	// Trace, when set, is told the subscriber of every A-interface message
	// (by frame) once it is known — at once, or when held messages are
	// replayed. Tests measure attribution with it; it costs memory per held
	// message, so production leaves it nil.
	Trace func(frame uint64, imsi sink.Digits)
	Stats ResolverStats

	conns map[connKey]int32
	cslab []conn
	cfree []int32
	txns  map[tidKey]int32
	tslab []txn
	tfree []int32
	prov  map[tmsiKey]*provisional
	pfree []*provisional // resolved or expired, kept with their buffers' capacity
	// hoSrc: subscriber -> connection being handed over; and, under
	// anonHO(MSC, cell), an unidentified connection that asked for a
	// handover from that cell (-1: two at once, which no one can tell
	// apart), for the Handover Request that names the IMSI to claim.
	hoSrc map[sink.Digits]int32
	rands map[uint64]tmsiEntry // authentication RAND -> the IMSI it was fetched for
	// waiting: connections whose Authentication Request RAND was not known
	// yet — a live probe's workers may deliver the sendAuthenticationInfo
	// result a little after the A-interface message that uses it.
	waiting map[uint64]int32
	// waitingTMSI: the same, for connections that ended first: their
	// history waits under their TMSI.
	waitingTMSI map[uint64]waitTMSI
	// las: the VLR of each location area (PLMN and LAC, laKey), learned
	// from the TMSIs allocated in it; plmns the PLMNs among them (derived).
	// A Location Updating Request names the old TMSI with the area it
	// was allocated in, which may belong to another VLR.
	las   map[uint64]uint16
	plmns []uint32
	// sendIDs: IMSIs a MAP sendIdentification result gave for a TMSI, for
	// the location update that waits on it (the dialogue names neither
	// the old VLR nor the connection: the TMSI and the time tie them).
	sendIDs map[uint32]tmsiEntry
	// orphans: messages on a connection not known by the reference they
	// carry, oldest first. A lost Connection Confirm hides the MSC's
	// reference until the release (RLSD, RLC) shows both: the uplink
	// messages wait for it, bounded (maxOrphans, an hour).
	orphans []orphan
	orphanN map[connKey]int32 // orphans by the reference they wait for
	maxAge  int64             // ns: mappings and connections idle longer are dropped
	gap     int64             // ns: held cell observations further apart start a new run
	sweep   int64             // next sweep time
	hourly  int64             // next sweep of the TMSI map and held history
	obs     Obs
	// link matches the two legs of on-net calls to learn MSISDNs where no
	// MAP is captured (calllink.go); mapMSISDN says MAP gave one already.
	link      callLinker
	mapMSISDN bool

	// Bounds (SetLimits): open connections, open transactions, held
	// observations. heldN counts the observations held, in connections and
	// provisional subscribers.
	maxConns, maxTxns, maxHeld int
	heldN                      int
	victims                    []victim // scratch of the evictions
}

// orphan is a message waiting for the connection whose reference k names.
type orphan struct {
	k connKey
	m decode.Message
}

// maxOrphans bounds the messages waiting for their connection (712 bytes each).
const maxOrphans = 4096

// victim is an eviction candidate: when it was last active, and which.
type victim struct {
	last int64
	key  uint64
}

// ResolverStats counts what the Resolver could and could not attribute.
type ResolverStats struct {
	Messages     uint64 // messages handled
	Attributed   uint64 // A-interface and MAP messages tied to an IMSI when handled
	Deferred     uint64 // held on an unknown TMSI
	Replayed     uint64 // held observations replayed once the IMSI was learned
	Unresolved   uint64 // messages whose subscriber never became known (dropped)
	NoConnection uint64 // connection-oriented messages on an unknown connection, given up
	Adopted      uint64 // messages that waited for their connection's reference (a lost Connection Confirm) and found it
	ProvDropped  uint64 // held observations dropped: provisional buffer full
	TMSIMapped   uint64 // TMSI→IMSI mappings learned
	Expired      uint64 // stale connections, transactions and mappings dropped
	ByRAND       uint64 // connections identified by their Authentication Request's RAND
	BySendID     uint64 // TMSIs learned from a MAP sendIdentification dialogue
	Link         LinkStats
	// Unidentified counts phones (a TMSI, or a connection without one)
	// whose held history was given up without their IMSI ever showing;
	// Held (HeldSubscribers, HeldObservations) says how many wait now.
	Unidentified uint64
	// Evicted: connections, transactions and held histories dropped, the
	// longest idle first, because a bound was reached (SetLimits).
	EvictedConns, EvictedTxns, EvictedHeld uint64
	// ByHandover: TMSI-only connections identified by the Handover Request
	// that continued them at the same MSC (last: checkpoints are positional).
	ByHandover uint64
}

// NewResolver returns a Resolver that passes its observations to st and
// keeps the TMSIs it learns there.
func NewResolver(st *State) *Resolver {
	return &Resolver{
		emit:        st.Observe,
		st:          st,
		conns:       make(map[connKey]int32),
		txns:        make(map[tidKey]int32),
		prov:        make(map[tmsiKey]*provisional),
		hoSrc:       make(map[sink.Digits]int32),
		rands:       make(map[uint64]tmsiEntry),
		waiting:     make(map[uint64]int32),
		waitingTMSI: make(map[uint64]waitTMSI),
		orphanN:     make(map[connKey]int32),
		las:         make(map[uint64]uint16),
		sendIDs:     make(map[uint32]tmsiEntry),
		maxAge:      3 * 86400e9,
		gap:         3600e9,
		link:        newCallLinker(),
		maxConns:    DefaultMaxConnections,
		maxTxns:     DefaultMaxTransactions,
		maxHeld:     DefaultMaxHeld,
	}
}

// SetLimits bounds the open SCCP connections, the open TCAP transactions
// and the observations held for phones not identified yet (0: the
// default). Past a bound the entries idle longest are dropped first, a
// sixteenth at a time: connections as if they had been released (a call
// on one is reported, its unidentified history moves to its TMSI),
// histories counted as unresolved.
func (r *Resolver) SetLimits(conns, txns, held int) {
	pick := func(v, def int) int {
		if v <= 0 {
			return def
		}
		return v
	}
	r.maxConns, r.maxTxns, r.maxHeld = pick(conns, DefaultMaxConnections), pick(txns, DefaultMaxTransactions), pick(held, DefaultMaxHeld)
}

// HeldSubscribers is the number of phones whose history waits for their
// IMSI; HeldObservations the observations held for them and for open
// connections not identified yet.
func (r *Resolver) HeldSubscribers() int  { return len(r.prov) }
func (r *Resolver) HeldObservations() int { return r.heldN }

// OpenConnections and OpenTransactions are the SCCP connections and TCAP
// transactions open now.
func (r *Resolver) OpenConnections() int  { return len(r.cslab) - len(r.cfree) }
func (r *Resolver) OpenTransactions() int { return len(r.tslab) - len(r.tfree) }

func (r *Resolver) newProvisional() *provisional {
	if n := len(r.pfree); n > 0 {
		p := r.pfree[n-1]
		r.pfree = r.pfree[:n-1]
		return p
	}
	return &provisional{}
}

func (r *Resolver) traceHeld(h *heldBuf, imsi sink.Digits) {
	if r.Trace != nil {
		for _, f := range h.frames {
			r.Trace(f, imsi)
		}
	}
}

func (r *Resolver) replayed(o *Obs) {
	r.Stats.Replayed++
	r.emit(o)
}

type connKey struct {
	assoc uint64
	ref   uint32
	side  uint8
}

type tidKey struct {
	assoc uint64
	tid   uint32
	side  uint8
}

type tmsiEntry struct {
	imsi sink.Digits
	ts   int64
}

// provisional is the history of a phone known by its TMSI only. Its
// earlier TMSIs are not kept: the VLR took them back when it gave the new
// one, and may have given them to someone else since.
type provisional struct {
	held heldBuf
}

type conn struct {
	assoc    uint64
	refs     [2]uint32
	has      [2]bool
	bscSide  uint8
	imsi     sink.Digits
	vlr      uint16  // the VLR of the connection's MSC
	tmsi     tmsiKey // the TMSI the phone showed, with the VLR that allocated it
	cell     cellKey // serving cell the connection shows
	target   cellKey // Handover Request target until Handover Complete
	detached bool
	last     int64
	luType   int8
	callMO   bool
	inCall   bool
	smsDone  bool
	peer     sink.Digits
	setup    int64
	answer   int64
	release  int64
	cause    uint8
	callCell cellKey // the cell the call was set up in
	held     heldBuf
	rand     uint64 // an Authentication Request RAND waiting to be learned
	moLeg    uint32 // the caller's Setup waiting for its callee (callLinker seq)
}

type waitTMSI struct {
	tmsi tmsiKey
	ts   int64
}

type txn struct {
	imsi, msisdn sink.Digits
	keys         [2]tidKey
	nkeys        uint8
	last         int64
	told         bool
	// sendIDTMSI is the TMSI a sendIdentification invoke of this dialogue
	// asked about (0: none, or already learned); its result brings the IMSI.
	sendIDTMSI uint32
}

// Handle processes one decoded message (in capture order).
func (r *Resolver) Handle(m *decode.Message) {
	r.Stats.Messages++
	if m.TsNs >= r.sweep {
		r.expire(m.TsNs)
	}
	switch m.Proto {
	case decode.ProtoMAP:
		r.mapMsg(m)
	case decode.ProtoBSSMAP, decode.ProtoDTAP, decode.ProtoNone:
		r.aMsg(m)
	}
	if r.heldN > r.maxHeld {
		r.evictHeld()
	}
}

func digits(d *ident.Digits) sink.Digits { return sink.MakeDigits(d.Bytes()) }

// ---- A-interface ----

func (r *Resolver) aMsg(m *decode.Message) {
	switch m.SCCPType {
	case sccp.UDT, sccp.XUDT:
		if m.Proto == decode.ProtoBSSMAP && m.Type == bssap.Paging && m.IMSI.N > 0 {
			imsi := digits(&m.IMSI)
			if m.Has&decode.HasTMSI != 0 {
				// Paging runs from the MSC: the TMSI is its VLR's.
				r.learnTMSI(mkTMSIKey(r.st.vlrOf(m.OPC), m.TMSI), imsi, m.TsNs)
			}
			r.Stats.Attributed++
			if r.Trace != nil {
				r.Trace(m.Frame, imsi)
			}
		}
		return
	}
	var ci int32 = -1
	switch m.SCCPType {
	case sccp.CR:
		k := connKey{m.Assoc, m.SLR, m.Dir}
		if i, ok := r.conns[k]; ok && r.cslab[i].last == m.TsNs {
			ci = i // the DTAP message inside the same CR
		} else {
			ci = r.newConn(k)
			c := &r.cslab[ci]
			c.bscSide = m.Dir
			msc := m.DPC
			if m.Proto == decode.ProtoBSSMAP && m.Type == bssap.HandoverRequest {
				c.bscSide = 1 - m.Dir // the MSC opens toward the target BSC
				msc = m.OPC
			}
			c.vlr = r.st.vlrOf(msc)
		}
	case sccp.CC:
		if i, ok := r.conns[connKey{m.Assoc, m.DLR, 1 - m.Dir}]; ok && m.Has&decode.HasSLR != 0 {
			ci = i
			r.bind(i, m)
		}
	default:
		if i, ok := r.conns[connKey{m.Assoc, m.DLR, 1 - m.Dir}]; ok {
			ci = i
			// A release carries both references: a connection whose
			// Connection Confirm was lost learns the other side's here.
			if (m.SCCPType == sccp.RLSD || m.SCCPType == sccp.RLC) && m.Has&decode.HasSLR != 0 && !r.cslab[i].has[m.Dir] {
				r.bind(i, m)
			}
		}
	}
	if ci < 0 {
		if m.Proto != decode.ProtoNone {
			if m.SCCPType != sccp.CR && m.Has&decode.HasDLR != 0 {
				r.orphan(m)
			} else {
				r.Stats.NoConnection++
			}
		}
		return
	}
	c := &r.cslab[ci]
	c.last = max(c.last, m.TsNs)
	if m.Proto != decode.ProtoNone {
		r.connMsg(c, m)
	}
	switch m.SCCPType {
	case sccp.RLC, sccp.CREF:
		r.closeConn(ci)
	}
}

// bind: connection i learns the reference m's sender (SLR) uses; what
// waited for it is handled now.
func (r *Resolver) bind(i int32, m *decode.Message) {
	c := &r.cslab[i]
	c.refs[m.Dir], c.has[m.Dir] = m.SLR, true
	k := connKey{m.Assoc, m.SLR, m.Dir}
	r.conns[k] = i
	if r.orphanN[k] == 0 {
		return
	}
	delete(r.orphanN, k)
	n := 0
	var o decode.Message
	for j := range r.orphans {
		if r.orphans[j].k != k {
			if n != j {
				r.orphans[n] = r.orphans[j]
			}
			n++
			continue
		}
		o = r.orphans[j].m
		r.Stats.Adopted++
		c := &r.cslab[i]
		c.last = max(c.last, o.TsNs)
		r.connMsg(c, &o)
	}
	clear(r.orphans[n:])
	r.orphans = r.orphans[:n]
}

// orphan keeps m until its connection is known; when maxOrphans wait, the
// oldest quarter is given up.
func (r *Resolver) orphan(m *decode.Message) {
	if len(r.orphans) == maxOrphans {
		r.dropOrphans(func(j int) bool { return j < maxOrphans/4 })
	}
	k := connKey{m.Assoc, m.DLR, 1 - m.Dir}
	r.orphans = append(r.orphans, orphan{k: k, m: *m})
	r.orphanN[k]++
}

// dropOrphans gives up the orphans drop says (by position), keeping the
// others in order.
func (r *Resolver) dropOrphans(drop func(j int) bool) {
	n := 0
	for j := range r.orphans {
		if drop(j) {
			r.Stats.NoConnection++
			k := r.orphans[j].k
			if r.orphanN[k]--; r.orphanN[k] <= 0 {
				delete(r.orphanN, k)
			}
			continue
		}
		if n != j {
			r.orphans[n] = r.orphans[j]
		}
		n++
	}
	clear(r.orphans[n:])
	r.orphans = r.orphans[:n]
}

// Orphans is the number of messages waiting for a connection to be known.
func (r *Resolver) Orphans() int { return len(r.orphans) }

func (r *Resolver) newConn(k connKey) int32 {
	if r.OpenConnections() >= r.maxConns {
		r.evictConns()
	}
	var i int32
	if n := len(r.cfree); n > 0 {
		i = r.cfree[n-1]
		r.cfree = r.cfree[:n-1]
	} else {
		r.cslab = append(r.cslab, conn{})
		i = int32(len(r.cslab) - 1)
	}
	held := r.cslab[i].held // keep the buffers' capacity
	held.reset()
	r.cslab[i] = conn{assoc: k.assoc, luType: -1, held: held}
	r.cslab[i].refs[k.side], r.cslab[i].has[k.side] = k.ref, true
	r.conns[k] = i
	return i
}

// index returns the slab index of c.
func (r *Resolver) index(c *conn) int32 {
	return int32((uintptr(unsafe.Pointer(c)) - uintptr(unsafe.Pointer(&r.cslab[0]))) / unsafe.Sizeof(conn{}))
}

func (r *Resolver) closeConn(i int32) {
	c := &r.cslab[i]
	r.resolveByTMSI(c, c.last)
	if c.rand != 0 {
		delete(r.waiting, c.rand)
		if c.imsi == 0 && c.tmsi != 0 {
			r.waitingTMSI[c.rand] = waitTMSI{c.tmsi, c.last}
		}
	}
	r.finishCall(c)
	if c.imsi == 0 && !c.held.empty() {
		if c.tmsi != 0 {
			p := r.prov[c.tmsi]
			if p == nil {
				p = r.newProvisional()
				r.prov[c.tmsi] = p
			}
			r.heldN -= c.held.size() + p.held.size()
			r.Stats.ProvDropped += p.held.merge(&c.held, r.gap)
			r.heldN += p.held.size()
		} else {
			r.Stats.Unresolved += uint64(c.held.size())
			r.Stats.Unidentified++
			r.heldN -= c.held.size()
			c.held.reset()
		}
	}
	for s := range uint8(2) {
		if c.has[s] {
			delete(r.conns, connKey{c.assoc, c.refs[s], s})
		}
	}
	r.cfree = append(r.cfree, i)
}

// resolveByTMSI attributes c if the TMSI it showed was mapped since: by a
// paging, or by a MAP sendIdentification, which runs beside the
// connection (the new VLR asks the old one while the location update
// waits).
func (r *Resolver) resolveByTMSI(c *conn, ts int64) {
	if c.imsi != 0 || c.tmsi == 0 {
		return
	}
	if imsi := r.st.imsiOfTMSI(c.tmsi, ts); imsi != 0 {
		r.setIMSI(c, imsi, ts)
	} else if e, ok := r.sendIDs[c.tmsi.tmsi()]; ok && ts-e.ts < sendIDWindow && e.ts-ts < sendIDWindow {
		r.setIMSI(c, e.imsi, ts)
	}
}

// sendIDWindow: how far apart a sendIdentification result and the
// location update it answers may be.
const sendIDWindow = 10 * 60e9

// laKey packs a location area identity: the PLMN's six nibbles (a
// two-digit MNC's third as filler) and the LAC.
func laKey(c *ident.Cell) uint64 {
	return uint64(plmnKey(&c.PLMN))<<16 | uint64(c.LAC)
}

func plmnKey(p *ident.PLMN) uint32 {
	var k uint32
	for _, b := range [6]byte{p.MCC[0], p.MCC[1], p.MCC[2], p.MNC[0], p.MNC[1], p.MNC[2]} {
		n := uint32(0xf)
		switch {
		case b >= '0' && b <= '9':
			n = uint32(b - '0')
		case b >= 'a' && b <= 'f':
			n = uint32(b-'a') + 10
		}
		k = k<<4 | n
	}
	return k
}

// tmsiKeyOf is the key of the TMSI m shows on c: of c's VLR, or for a
// Location Updating Request of the VLR of the old area it names — another
// of the network's VLRs, or one abroad.
func (r *Resolver) tmsiKeyOf(c *conn, m *decode.Message) tmsiKey {
	vlr := c.vlr
	if m.PD == bssap.PDMM && m.Type == bssap.MMLURequest && m.NCells > 0 && m.Cells[0].Has&ident.HasPLMN != 0 {
		old := &m.Cells[0]
		if v, ok := r.las[laKey(old)]; ok {
			vlr = v
		} else if len(r.plmns) > 0 && !slices.Contains(r.plmns, plmnKey(&old.PLMN)) {
			vlr = foreignVLR
		}
		// An area of the network not seen yet (or none seen at all):
		// most likely the same VLR.
	}
	return mkTMSIKey(vlr, m.TMSI)
}

// learnLA records that c's VLR allocates TMSIs in location area lai.
func (r *Resolver) learnLA(c *conn, lai *ident.Cell) {
	if lai.Has&ident.HasPLMN == 0 {
		return
	}
	k := laKey(lai)
	if v, ok := r.las[k]; ok && v == c.vlr {
		return
	}
	r.las[k] = c.vlr
	if p := plmnKey(&lai.PLMN); !slices.Contains(r.plmns, p) {
		r.plmns = append(r.plmns, p)
	}
}

// anonHO is the hoSrc key of an unidentified connection handing over
// from cell at an MSC: length byte 0x7f, which no digit string has.
func anonHO(vlr uint16, cell cellKey) sink.Digits {
	return sink.Digits(0x7f<<56 | uint64(vlr)<<32 | uint64(cell))
}

// hoWindow bounds Handover Required -> Handover Request at one MSC.
const hoWindow = 2e9

// connMsg handles a BSSMAP or DTAP message on connection c.
func (r *Resolver) connMsg(c *conn, m *decode.Message) {
	up := m.Dir == c.bscSide
	ts := m.TsNs
	r.resolveByTMSI(c, ts)
	hoFrom := int32(-1) // the unidentified connection this Handover Request continues
	if m.Proto == decode.ProtoBSSMAP {
		switch m.Type {
		case bssap.CompleteLayer3:
			if m.Loc.Has != 0 && m.Loc.LAC != 0 {
				c.cell = mkCell(m.Loc.LAC, m.Loc.CI)
			}
		case bssap.HandoverRequest:
			c.target = mkCell(m.Loc.LAC, m.Loc.CI)
			// The MSC names the serving cell first: a TMSI-only
			// connection there that asked for a handover just now is
			// the same subscriber, whose IMSI this request carries.
			if m.NCells >= 2 && m.IMSI.N > 0 {
				serving := mkCell(m.Cells[0].LAC, m.Cells[0].CI)
				k := anonHO(c.vlr, serving)
				if i, ok := r.hoSrc[k]; ok {
					delete(r.hoSrc, k)
					if i >= 0 {
						if o := &r.cslab[i]; o.imsi == 0 && o.cell == serving && o.vlr == c.vlr && ts-o.last <= hoWindow {
							hoFrom = i
						}
					}
				}
			}
		case bssap.HandoverRequired:
			if c.imsi != 0 {
				r.hoSrc[c.imsi] = r.index(c)
			} else if c.cell != 0 {
				k, me := anonHO(c.vlr, c.cell), r.index(c)
				if i, ok := r.hoSrc[k]; ok && i != me && (i < 0 || ts-r.cslab[i].last <= hoWindow) {
					r.hoSrc[k] = -1
				} else {
					r.hoSrc[k] = me
				}
			}
		case bssap.HandoverComplete:
			if c.target != 0 {
				c.cell, c.target = c.target, 0
				// The old connection, cleared next, now shows the new cell
				// too; the call carries on on this one.
				if i, ok := r.hoSrc[c.imsi]; ok && c.imsi != 0 {
					delete(r.hoSrc, c.imsi)
					if old := &r.cslab[i]; old.imsi == c.imsi {
						old.cell = c.cell
						if old.inCall && !c.inCall {
							c.inCall, c.callMO, c.peer, c.callCell = true, old.callMO, old.peer, old.callCell
							c.setup, c.answer, c.release, c.cause = old.setup, old.answer, old.release, old.cause
							old.inCall = false
						}
					}
				}
			}
		case bssap.ClearRequest, bssap.ClearCommand:
			// A call cleared without a CC message (radio link failure)
			// ends here.
			if c.inCall && c.release == 0 {
				c.release = ts
			}
		case bssap.HandoverPerformed:
			if m.Loc.LAC != 0 {
				c.cell = mkCell(m.Loc.LAC, m.Loc.CI)
			}
		}
	}
	// Identities carried by the message.
	if m.IMSI.N > 0 && c.imsi == 0 && (m.Proto == decode.ProtoBSSMAP || m.PD != bssap.PDSS) {
		r.setIMSI(c, digits(&m.IMSI), ts)
	}
	if hoFrom >= 0 && c.imsi != 0 {
		r.Stats.ByHandover++
		r.setIMSI(&r.cslab[hoFrom], c.imsi, ts)
		r.hoSrc[c.imsi] = hoFrom
	}
	if m.Has&decode.HasTMSI != 0 && m.Proto == decode.ProtoDTAP {
		switch m.Type {
		case bssap.MMLUAccept, bssap.MMTMSIReallocCmd:
			if m.PD == bssap.PDMM {
				r.learnLA(c, &m.Loc)
				r.newTMSI(c, mkTMSIKey(c.vlr, m.TMSI), ts)
			}
		default:
			if c.tmsi == 0 {
				c.tmsi = r.tmsiKeyOf(c, m)
				if c.imsi == 0 {
					r.resolveByTMSI(c, ts)
				} else {
					r.learnTMSI(c.tmsi, c.imsi, ts)
				}
			}
		}
	}
	if c.imsi == 0 && m.NRAND == 1 && m.Proto == decode.ProtoDTAP && m.PD == bssap.PDMM && m.Type == bssap.MMAuthRequest {
		// The challenge came from vectors the VLR fetched for an IMSI.
		if e, ok := r.rands[m.RANDs[0]]; ok {
			r.Stats.ByRAND++
			r.setIMSI(c, e.imsi, ts)
		} else {
			c.rand = m.RANDs[0]
			r.waiting[c.rand] = r.index(c)
		}
	}
	if c.imsi != 0 {
		r.Stats.Attributed++
		if r.Trace != nil {
			r.Trace(m.Frame, c.imsi)
		}
	} else {
		r.Stats.Deferred++
		if r.Trace != nil {
			c.held.frames = append(c.held.frames, m.Frame)
		}
	}
	// The cell this message shows, unless the subscriber detached.
	if c.cell != 0 && !c.detached {
		r.put(c, Obs{TS: ts, Kind: obsCell, Cell: c.cell})
	}
	if m.Proto != decode.ProtoDTAP {
		return
	}
	switch m.PD {
	case bssap.PDMM:
		switch m.Type {
		case bssap.MMLURequest:
			c.luType = int8(m.LUType & 3)
		case bssap.MMLUAccept:
			kind := sink.EventLU
			if c.luType == 2 {
				kind = sink.EventAttach
			}
			r.put(c, Obs{TS: ts, Kind: obsEvent, Cell: c.cell, Event: Event{Kind: kind}})
		case bssap.MMLUReject:
			r.put(c, Obs{TS: ts, Kind: obsEvent, Cell: c.cell, Event: Event{Kind: sink.EventLU, Cause: m.RejectCause}})
		case bssap.MMIMSIDetach:
			r.put(c, Obs{TS: ts, Kind: obsDetach, Cell: c.cell, Event: Event{Kind: sink.EventDetach}})
			c.detached = true
		case bssap.MMIdentityResponse:
			if m.IMEISV.N >= 14 {
				r.put(c, Obs{TS: ts, Kind: obsIdentity, IMEI: imeiFromSV(&m.IMEISV)})
			} else if m.IMEI.N > 0 {
				r.put(c, Obs{TS: ts, Kind: obsIdentity, IMEI: digits(&m.IMEI)})
			}
		}
	case bssap.PDCC:
		switch m.Type {
		case bssap.CCSetup:
			c.inCall, c.callMO, c.setup, c.callCell = true, up, ts, c.cell
			c.answer, c.release, c.cause = 0, 0, 0
			if up {
				c.peer = digits(&m.Called)
			} else {
				c.peer = digits(&m.Calling)
			}
			r.linkSetup(c, up, ts)
		case 0x01: // Alerting
			if c.moLeg != 0 && !up {
				r.link.close(c.moLeg) // the callee is ringing: its Setup came before
				c.moLeg = 0
			}
		case 0x07: // Connect
			if c.answer == 0 {
				c.answer = ts
			}
		case bssap.CCDisconnect, 0x2d, 0x2a: // Disconnect, Release, Release Complete
			if c.inCall && c.release == 0 {
				c.release = ts
			}
			if c.inCall && c.cause == 0 && m.Has&decode.HasCause != 0 {
				c.cause = uint8(m.Cause)
			}
			if c.moLeg != 0 {
				r.link.close(c.moLeg)
				c.moLeg = 0
			}
		}
	case bssap.PDSMS:
		if m.Type == bssap.SMSCPData && !c.smsDone && (m.RPOrig.N > 0 || m.RPDest.N > 0) {
			c.smsDone = true
			kind := sink.EventSMSMT
			if up {
				kind = sink.EventSMSMO
			}
			r.put(c, Obs{TS: ts, Kind: obsEvent, Cell: c.cell, Event: Event{Kind: kind, Peer: digits(&m.TPAddr)}})
		}
	case bssap.PDSS:
		if m.Type == bssap.SSRegister {
			r.put(c, Obs{TS: ts, Kind: obsEvent, Cell: c.cell, Event: Event{Kind: sink.EventUSSD}})
		}
	}
}

// linkSetup hands a call's Setup to the call linker on an A-only tap.
func (r *Resolver) linkSetup(c *conn, up bool, ts int64) {
	if r.mapMSISDN || c.peer == 0 {
		return
	}
	if up {
		// A caller not identified yet still waits: its callee's Setup must
		// not be matched to another caller instead.
		c.moLeg = r.link.mo(ts, c.imsi, c.peer)
		return
	}
	if c.imsi == 0 {
		return
	}
	got, n := r.link.mt(ts, c.imsi, c.peer, &r.Stats.Link)
	for _, x := range got[:n] {
		r.obs = Obs{TS: ts, IMSI: x.imsi, Kind: obsIdentity, MSISDN: x.msisdn}
		r.emit(&r.obs)
	}
}

// finishCall reports a call once its connection ends (or the capture does):
// set up in callCell at setup, answered at answer (0: never), released by
// the first clearing message (0: still up), with the CC cause of the first
// one that carries a cause.
func (r *Resolver) finishCall(c *conn) {
	if !c.inCall {
		return
	}
	c.inCall = false
	kind := sink.EventCallMT
	if c.callMO {
		kind = sink.EventCallMO
	}
	r.put(c, Obs{TS: c.setup, Kind: obsEvent, Cell: c.callCell,
		Event: Event{Kind: kind, Peer: c.peer, SetupTS: c.setup, AnswerTS: c.answer, ReleaseTS: c.release, Cause: c.cause}})
}

// imeiFromSV derives the IMEI (14 digits + Luhn check digit) from an IMEISV.
func imeiFromSV(sv *ident.Digits) sink.Digits {
	var b [15]byte
	copy(b[:14], sv.D[:14])
	sum := 0
	for i := 13; i >= 0; i-- {
		d := int(b[i] - '0')
		if (13-i)%2 == 0 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	b[14] = byte('0' + (10-sum%10)%10)
	return sink.MakeDigits(b[:])
}

// put emits an observation of c's subscriber, or holds it until the
// subscriber is known.
func (r *Resolver) put(c *conn, o Obs) {
	if c.imsi != 0 {
		r.obs = o
		r.obs.IMSI = c.imsi
		r.emit(&r.obs) // through a field: a local would escape through emit
		return
	}
	n := c.held.size()
	if !c.held.add(&o, r.gap) {
		r.Stats.ProvDropped++
	}
	r.heldN += c.held.size() - n
}

// setIMSI attributes c to imsi and replays what c and its TMSI held back.
func (r *Resolver) setIMSI(c *conn, imsi sink.Digits, ts int64) {
	if imsi == 0 || c.imsi != 0 {
		return
	}
	c.imsi = imsi
	if c.tmsi != 0 {
		r.learnTMSI(c.tmsi, imsi, ts)
	}
	r.traceHeld(&c.held, imsi)
	r.heldN -= c.held.size()
	c.held.replay(imsi, &r.obs, r.replayed)
}

// newTMSI handles a TMSI allocated on c. The VLR gives a TMSI to one
// subscriber at a time: whoever held t before does no longer, and what was
// held back under t was theirs.
func (r *Resolver) newTMSI(c *conn, t tmsiKey, ts int64) {
	if t == c.tmsi {
		if c.imsi != 0 {
			r.learnTMSI(t, c.imsi, ts)
		}
		return
	}
	if old := r.prov[t]; old != nil {
		r.dropProvisional(t, old)
	}
	if c.imsi != 0 {
		r.learnTMSI(t, c.imsi, ts)
		return
	}
	r.st.unmapTMSI(t)
	// Unknown subscriber: what its old TMSI held moves to the new one.
	if c.tmsi != 0 {
		p := r.prov[c.tmsi]
		if p == nil {
			p = r.newProvisional()
		}
		delete(r.prov, c.tmsi)
		r.prov[t] = p
	}
	c.tmsi = t
}

// learnTMSI maps t to imsi and replays what was held on t.
func (r *Resolver) learnTMSI(t tmsiKey, imsi sink.Digits, ts int64) {
	if r.st.mapTMSI(t, imsi, ts) {
		r.Stats.TMSIMapped++
	}
	if p := r.prov[t]; p != nil {
		delete(r.prov, t)
		r.traceHeld(&p.held, imsi)
		r.heldN -= p.held.size()
		p.held.replay(imsi, &r.obs, r.replayed)
		r.pfree = append(r.pfree, p)
	}
}

// ---- MAP ----

func (r *Resolver) mapMsg(m *decode.Message) {
	var ti int32 = -1
	switch m.TCAPType {
	case tcap.Begin:
		k := tidKey{m.Assoc, m.OTID, m.Dir}
		if i, ok := r.txns[k]; ok && r.tslab[i].last == m.TsNs {
			ti = i
		} else {
			ti = r.newTxn(k)
		}
	case tcap.Continue:
		if i, ok := r.txns[tidKey{m.Assoc, m.DTID, 1 - m.Dir}]; ok {
			ti = i
			t := &r.tslab[i]
			k := tidKey{m.Assoc, m.OTID, m.Dir}
			if t.nkeys < 2 && t.keys[0] != k {
				t.keys[t.nkeys] = k
				t.nkeys++
				r.txns[k] = i
			}
		}
	case tcap.End, tcap.Abort:
		if i, ok := r.txns[tidKey{m.Assoc, m.DTID, 1 - m.Dir}]; ok {
			ti = i
		}
	}
	var imsi, msisdn sink.Digits
	if m.IMSI.N > 0 {
		imsi = digits(&m.IMSI)
	}
	if m.MSISDN.N > 0 {
		msisdn = digits(&m.MSISDN)
	}
	if ti >= 0 {
		t := &r.tslab[ti]
		t.last = m.TsNs
		if imsi != 0 {
			t.imsi = imsi
		}
		if msisdn != 0 {
			t.msisdn = msisdn
		}
		imsi, msisdn = t.imsi, t.msisdn
		if imsi != 0 {
			for _, k := range m.RANDs[:m.NRAND] {
				r.rands[k] = tmsiEntry{imsi, m.TsNs}
				if i, ok := r.waiting[k]; ok {
					delete(r.waiting, k)
					if c := &r.cslab[i]; c.rand == k && c.imsi == 0 {
						r.Stats.ByRAND++
						r.setIMSI(c, imsi, m.TsNs)
					}
				}
				if w, ok := r.waitingTMSI[k]; ok {
					delete(r.waitingTMSI, k)
					r.Stats.ByRAND++
					r.learnTMSI(w.tmsi, imsi, m.TsNs)
				}
			}
		}
		// sendIdentification: the invoke names a TMSI, the result the IMSI.
		if m.Type == tcap.OpSendIdentification && m.Comp == decode.CompInvoke && m.Has&decode.HasTMSI != 0 {
			t.sendIDTMSI = m.TMSI
		}
		if t.sendIDTMSI != 0 && imsi != 0 {
			r.Stats.BySendID++
			r.sendIDs[t.sendIDTMSI] = tmsiEntry{imsi, m.TsNs}
			t.sendIDTMSI = 0
		}
		if msisdn != 0 {
			r.mapMSISDN = true
		}
		if imsi != 0 && msisdn != 0 && !t.told {
			t.told = true
			r.obs = Obs{TS: m.TsNs, IMSI: imsi, Kind: obsIdentity, MSISDN: msisdn}
			r.emit(&r.obs)
		}
		if m.TCAPType == tcap.End || m.TCAPType == tcap.Abort {
			r.closeTxn(ti)
		}
	} else if imsi != 0 && msisdn != 0 {
		r.obs = Obs{TS: m.TsNs, IMSI: imsi, Kind: obsIdentity, MSISDN: msisdn}
		r.emit(&r.obs)
	}
	if imsi != 0 {
		r.Stats.Attributed++
		if m.Type == tcap.OpUpdateLocation && m.Comp == decode.CompInvoke && m.VLR.N > 0 {
			// The VLR the subscriber registers with: home or abroad.
			r.obs = Obs{TS: m.TsNs, IMSI: imsi, Kind: obsVLR, Event: Event{Peer: digits(&m.VLR)}}
			r.emit(&r.obs)
		}
	}
}

func (r *Resolver) newTxn(k tidKey) int32 {
	if r.OpenTransactions() >= r.maxTxns {
		r.evictTxns()
	}
	var i int32
	if n := len(r.tfree); n > 0 {
		i = r.tfree[n-1]
		r.tfree = r.tfree[:n-1]
	} else {
		r.tslab = append(r.tslab, txn{})
		i = int32(len(r.tslab) - 1)
	}
	r.tslab[i] = txn{keys: [2]tidKey{k}, nkeys: 1}
	r.txns[k] = i
	return i
}

func (r *Resolver) closeTxn(i int32) {
	t := &r.tslab[i]
	for k := range t.nkeys {
		delete(r.txns, t.keys[k])
	}
	r.tfree = append(r.tfree, i)
}

// expire drops connections and transactions idle for an hour and TMSI
// mappings unused for maxAge; it runs once per capture minute.
func (r *Resolver) expire(now int64) {
	r.sweep = now + 60e9
	const idle = 3600e9
	// In slab order, not map order: closing a connection can emit its call
	// and merge its held history, and a replay from a checkpoint must do
	// that in the same order as the uninterrupted run.
	for i := range r.cslab {
		if now-r.cslab[i].last > idle && r.open(int32(i)) {
			r.Stats.Expired++
			r.closeConn(int32(i))
		}
	}
	if len(r.orphans) > 0 && now-r.orphans[0].m.TsNs > idle {
		r.dropOrphans(func(j int) bool { return now-r.orphans[j].m.TsNs > idle })
	}
	for _, i := range r.txns {
		if t := &r.tslab[i]; t.nkeys > 0 && now-t.last > idle {
			r.Stats.Expired++
			r.closeTxn(i)
			t.nkeys = 0
		}
	}
	if now >= r.hourly {
		r.hourly = now + 3600e9
		r.Stats.Expired += r.st.expireTMSIs(now)
		for k, e := range r.rands {
			if now-e.ts > r.maxAge {
				delete(r.rands, k) // vectors unused for days
				r.Stats.Expired++
			}
		}
		for k, e := range r.sendIDs {
			if now-e.ts > sendIDWindow {
				delete(r.sendIDs, k)
			}
		}
		for k, w := range r.waitingTMSI {
			if now-w.ts > 3600e9 {
				delete(r.waitingTMSI, k) // no vectors came for it
			}
		}
		for t, p := range r.prov {
			if now-p.held.last > r.maxAge {
				r.dropProvisional(t, p)
			}
		}
	}
}

// Flush reports calls on connections still open (end of capture), in slab
// order.
func (r *Resolver) Flush() {
	for i := range r.cslab {
		if r.open(int32(i)) {
			r.finishCall(&r.cslab[i])
		}
	}
}

// open reports whether slab entry i is a connection in use (freed entries
// keep their old contents until reused).
func (r *Resolver) open(i int32) bool {
	c := &r.cslab[i]
	for s := range uint8(2) {
		if j, ok := r.conns[connKey{c.assoc, c.refs[s], s}]; ok && c.has[s] && j == i {
			return true
		}
	}
	return false
}

// dropProvisional gives up the held history of the unknown phone t.
func (r *Resolver) dropProvisional(t tmsiKey, p *provisional) {
	n := p.held.size()
	r.Stats.Unresolved += uint64(n)
	r.Stats.Unidentified++
	r.heldN -= n
	delete(r.prov, t)
	p.held.reset()
	r.pfree = append(r.pfree, p)
}

// evictShare is the share of the entries an eviction drops: a sixteenth,
// so that a full table is sorted once per that many new entries.
const evictShare = 16

// sortVictims sorts the candidates by (last, key): oldest first,
// deterministically (a run resumed from a checkpoint evicts the same).
func (r *Resolver) sortVictims() {
	slices.SortFunc(r.victims, func(a, b victim) int {
		if a.last != b.last {
			return cmp.Compare(a.last, b.last)
		}
		return cmp.Compare(a.key, b.key)
	})
}

// oldest sorts the candidates and returns the oldest sixteenth (at least one).
func (r *Resolver) oldest() []victim {
	r.sortVictims()
	return r.victims[:max(1, len(r.victims)/evictShare)]
}

// evictConns closes the connections idle longest.
func (r *Resolver) evictConns() {
	r.victims = r.victims[:0]
	for i := range r.cslab {
		if r.open(int32(i)) {
			r.victims = append(r.victims, victim{r.cslab[i].last, uint64(i)})
		}
	}
	for _, v := range r.oldest() {
		r.Stats.EvictedConns++
		r.closeConn(int32(v.key))
	}
}

// evictTxns drops the transactions idle longest.
func (r *Resolver) evictTxns() {
	r.victims = r.victims[:0]
	for i := range r.tslab {
		if t := &r.tslab[i]; t.nkeys > 0 && r.txns[t.keys[0]] == int32(i) {
			r.victims = append(r.victims, victim{t.last, uint64(i)})
		}
	}
	for _, v := range r.oldest() {
		r.Stats.EvictedTxns++
		r.closeTxn(int32(v.key))
		r.tslab[v.key].nkeys = 0
	}
}

// evictHeld gives up the held histories idle longest until the bound holds
// again (and a sixteenth of them at least).
func (r *Resolver) evictHeld() {
	r.victims = r.victims[:0]
	for t, p := range r.prov {
		r.victims = append(r.victims, victim{p.held.last, uint64(t)})
	}
	if len(r.victims) == 0 {
		return // what is held sits on open connections, bounded by their number
	}
	r.sortVictims()
	for i, x := range r.victims {
		if i >= max(1, len(r.victims)/evictShare) && r.heldN <= r.maxHeld {
			break
		}
		r.Stats.EvictedHeld++
		r.dropProvisional(tmsiKey(x.key), r.prov[tmsiKey(x.key)])
	}
}
