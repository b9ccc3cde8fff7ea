package track

import (
	"errors"
	"fmt"
	"reflect"
	"slices"

	"github.com/sigprobe/sigprobe/decode"

	"github.com/sigprobe/sigprobe/probe/ckpt"
	"github.com/sigprobe/sigprobe/sink"
)

// Checkpoints hold everything the Resolver and State know, so that a
// restart from one continues exactly as the uninterrupted run would have:
// open SCCP connections and TCAP transactions, held histories of
// not-yet-identified phones, the TMSI and RAND maps, every subscriber,
// who is abroad and the region minutes not settled yet. Slab indices
// are kept as they were, because the sweeps visit connections in index
// order. What is derived from the configuration (region cells, T3212) is
// taken from the configuration of the restarted probe; region data is
// matched by region name, so regions may be added or removed across a
// restart.

// stateVersion is the version of what SaveState writes; LoadState refuses
// other versions.
const stateVersion = 7

// ErrStateVersion is returned by LoadState for a checkpoint written by a
// sigprobe with another state layout.
var ErrStateVersion = errors.New("tracking state was written by an incompatible sigprobe version")

func encHeld(e *ckpt.Enc, h *heldBuf) {
	e.Bool(h.cut)
	e.I64(h.last)
	e.Uvarint(uint64(len(h.runs)))
	for _, r := range h.runs {
		e.U32(uint32(r.cell))
		e.I64(r.first)
		e.I64(r.last)
	}
	e.Uvarint(uint64(len(h.evs)))
	for i := range h.evs {
		encObs(e, &h.evs[i])
	}
	e.Uvarint(uint64(len(h.frames)))
	for _, f := range h.frames {
		e.U64(f)
	}
}

func decHeld(d *ckpt.Dec, h *heldBuf) {
	h.cut = d.Bool()
	h.last = d.I64()
	h.runs = h.runs[:0]
	for range d.Count(20) {
		h.runs = append(h.runs, run{cell: cellKey(d.U32()), first: d.I64(), last: d.I64()})
	}
	h.evs = h.evs[:0]
	for range d.Count(8) {
		var o Obs
		decObs(d, &o)
		h.evs = append(h.evs, o)
	}
	h.frames = h.frames[:0]
	for range d.Count(8) {
		h.frames = append(h.frames, d.U64())
	}
}

func encObs(e *ckpt.Enc, o *Obs) {
	e.I64(o.TS)
	e.U64(uint64(o.IMSI))
	e.U8(uint8(o.Kind))
	e.U32(uint32(o.Cell))
	e.U64(uint64(o.MSISDN))
	e.U64(uint64(o.IMEI))
	e.String(o.Event.Kind)
	e.U64(uint64(o.Event.Peer))
	e.I64(o.Event.SetupTS)
	e.I64(o.Event.AnswerTS)
	e.I64(o.Event.ReleaseTS)
	e.U8(o.Event.Cause)
}

// eventKinds interns event kinds so held observations restored from a
// checkpoint share the constants' strings.
var eventKinds = []string{"", sink.EventAttach, sink.EventDetach, sink.EventLU, sink.EventCallMO, sink.EventCallMT,
	sink.EventSMSMO, sink.EventSMSMT, sink.EventUSSD, sink.EventSilent}

func decObs(d *ckpt.Dec, o *Obs) {
	o.TS = d.I64()
	o.IMSI = sink.Digits(d.U64())
	o.Kind = obsKind(d.U8())
	o.Cell = cellKey(d.U32())
	o.MSISDN = sink.Digits(d.U64())
	o.IMEI = sink.Digits(d.U64())
	k := d.String()
	o.Event.Kind = k
	for _, c := range eventKinds {
		if c == k {
			o.Event.Kind = c
		}
	}
	o.Event.Peer = sink.Digits(d.U64())
	o.Event.SetupTS = d.I64()
	o.Event.AnswerTS = d.I64()
	o.Event.ReleaseTS = d.I64()
	o.Event.Cause = d.U8()
}

func encTid(e *ckpt.Enc, k tidKey) {
	e.U64(k.assoc)
	e.U32(k.tid)
	e.U8(k.side)
}

func decTid(d *ckpt.Dec) tidKey { return tidKey{assoc: d.U64(), tid: d.U32(), side: d.U8()} }

func encTMSIEntry(e *ckpt.Enc, t tmsiEntry) {
	e.U64(uint64(t.imsi))
	e.I64(t.ts)
}

func decTMSIEntry(d *ckpt.Dec) tmsiEntry { return tmsiEntry{imsi: sink.Digits(d.U64()), ts: d.I64()} }

// sortedKeys returns m's keys in order, so that what a checkpoint holds
// does not depend on map iteration order.
func sortedKeys[K interface{ ~uint32 | ~uint64 }, V any](m map[K]V) []K {
	ks := make([]K, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// SaveState appends the Resolver's state to e.
func (r *Resolver) SaveState(e *ckpt.Enc) {
	e.Uvarint(stateVersion)
	encCounters(e, &r.Stats)
	e.I64(r.sweep)
	e.I64(r.hourly)

	e.Uvarint(uint64(len(r.cslab)))
	for i := range r.cslab {
		c := &r.cslab[i]
		e.U64(c.assoc)
		e.U32(c.refs[0])
		e.U32(c.refs[1])
		e.Bool(c.has[0])
		e.Bool(c.has[1])
		e.U8(c.bscSide)
		e.U64(uint64(c.imsi))
		e.U16(c.vlr)
		e.U64(uint64(c.tmsi))
		e.U32(uint32(c.cell))
		e.U32(uint32(c.target))
		e.Bool(c.detached)
		e.I64(c.last)
		e.U8(uint8(c.luType))
		e.Bool(c.callMO)
		e.Bool(c.inCall)
		e.Bool(c.smsDone)
		e.U64(uint64(c.peer))
		e.I64(c.setup)
		e.I64(c.answer)
		e.I64(c.release)
		e.U8(c.cause)
		e.U64(c.rand)
		e.U32(uint32(c.callCell))
		e.U32(c.moLeg)
		encHeld(e, &c.held)
	}
	encInt32s(e, r.cfree)
	ck := make([]connKey, 0, len(r.conns))
	for k := range r.conns {
		ck = append(ck, k)
	}
	slices.SortFunc(ck, func(a, b connKey) int {
		if a.assoc != b.assoc {
			return cmpU(a.assoc, b.assoc)
		}
		if a.ref != b.ref {
			return cmpU(uint64(a.ref), uint64(b.ref))
		}
		return int(a.side) - int(b.side)
	})
	e.Uvarint(uint64(len(ck)))
	for _, k := range ck {
		e.U64(k.assoc)
		e.U32(k.ref)
		e.U8(k.side)
		e.U32(uint32(r.conns[k]))
	}

	e.Uvarint(uint64(len(r.tslab)))
	for i := range r.tslab {
		t := &r.tslab[i]
		e.U64(uint64(t.imsi))
		e.U64(uint64(t.msisdn))
		encTid(e, t.keys[0])
		encTid(e, t.keys[1])
		e.U8(t.nkeys)
		e.I64(t.last)
		e.Bool(t.told)
		e.U32(t.sendIDTMSI)
	}
	encInt32s(e, r.tfree)
	tk := make([]tidKey, 0, len(r.txns))
	for k := range r.txns {
		tk = append(tk, k)
	}
	slices.SortFunc(tk, func(a, b tidKey) int {
		if a.assoc != b.assoc {
			return cmpU(a.assoc, b.assoc)
		}
		if a.tid != b.tid {
			return cmpU(uint64(a.tid), uint64(b.tid))
		}
		return int(a.side) - int(b.side)
	})
	e.Uvarint(uint64(len(tk)))
	for _, k := range tk {
		encTid(e, k)
		e.U32(uint32(r.txns[k]))
	}

	e.Uvarint(uint64(len(r.prov)))
	for _, t := range sortedKeys(r.prov) {
		p := r.prov[t]
		e.U64(uint64(t))
		encHeld(e, &p.held)
	}
	e.Uvarint(uint64(len(r.hoSrc)))
	for _, k := range sortedKeys(r.hoSrc) {
		e.U64(uint64(k))
		e.U32(uint32(r.hoSrc[k]))
	}
	e.Uvarint(uint64(len(r.rands)))
	for _, k := range sortedKeys(r.rands) {
		e.U64(k)
		encTMSIEntry(e, r.rands[k])
	}
	e.Uvarint(uint64(len(r.waiting)))
	for _, k := range sortedKeys(r.waiting) {
		e.U64(k)
		e.U32(uint32(r.waiting[k]))
	}
	e.Uvarint(uint64(len(r.waitingTMSI)))
	for _, k := range sortedKeys(r.waitingTMSI) {
		w := r.waitingTMSI[k]
		e.U64(k)
		e.U64(uint64(w.tmsi))
		e.I64(w.ts)
	}
	e.Uvarint(uint64(len(r.las)))
	for _, k := range sortedKeys(r.las) {
		e.U64(k)
		e.U16(r.las[k])
	}
	e.Uvarint(uint64(len(r.sendIDs)))
	for _, k := range sortedKeys(r.sendIDs) {
		e.U32(k)
		encTMSIEntry(e, r.sendIDs[k])
	}
	e.U64(decode.MessageLayout)
	e.Uvarint(uint64(len(r.orphans)))
	for i := range r.orphans {
		o := &r.orphans[i]
		e.U64(o.k.assoc)
		e.U32(o.k.ref)
		e.U8(o.k.side)
		encMsg(e, &o.m)
	}
	e.Bool(r.mapMSISDN)
	l := &r.link
	e.U32(l.next)
	for i := range l.legs {
		g := &l.legs[i]
		e.U32(g.seq)
		e.I64(g.ts)
		e.U64(uint64(g.caller))
		e.U64(uint64(g.called))
		e.Bool(g.open)
	}
	e.Uvarint(uint64(len(l.votes)))
	for _, k := range sortedKeys(l.votes) {
		v := l.votes[k]
		e.U64(uint64(k))
		e.U64(uint64(v.num))
		e.U8(v.n)
		e.U64(uint64(v.told))
	}
}

// encMsg and decMsg keep a held message in its compact form (a checkpoint
// holds few; the copy is not worth avoiding).
func encMsg(e *ckpt.Enc, m *decode.Message) { e.Raw(decode.AppendCompact(nil, m)) }

func decMsg(d *ckpt.Dec, m *decode.Message) {
	n, ok := decode.ReadCompact(d.Peek(), m)
	if !ok {
		d.Fail(ckpt.ErrCorrupt)
		return
	}
	d.Raw(n)
}

// encCounters writes every uint64 counter of a Stats struct (nested
// structs of counters included, in field order), so a counter added later
// is saved without a change here.
func encCounters(e *ckpt.Enc, v any) {
	var vals []uint64
	counters(reflect.ValueOf(v).Elem(), func(f reflect.Value) { vals = append(vals, f.Uint()) })
	e.Uvarint(uint64(len(vals)))
	for _, x := range vals {
		e.U64(x)
	}
}

// decCounters reads what encCounters wrote; counters a newer sigprobe
// added stay zero, ones it removed are skipped.
func decCounters(d *ckpt.Dec, v any) {
	n := d.Count(8)
	vals := make([]uint64, n)
	for i := range vals {
		vals[i] = d.U64()
	}
	i := 0
	counters(reflect.ValueOf(v).Elem(), func(f reflect.Value) {
		if i < len(vals) {
			f.SetUint(vals[i])
		}
		i++
	})
}

// counters visits the uint64 fields of a struct, depth first.
func counters(v reflect.Value, fn func(reflect.Value)) {
	for i := range v.NumField() {
		switch f := v.Field(i); f.Kind() {
		case reflect.Uint64:
			fn(f)
		case reflect.Struct:
			counters(f, fn)
		}
	}
}

func cmpU(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func encInt32s(e *ckpt.Enc, v []int32) {
	e.Uvarint(uint64(len(v)))
	for _, x := range v {
		e.U32(uint32(x))
	}
}

func decInt32s(d *ckpt.Dec, limit int) []int32 {
	n := d.Count(4)
	v := make([]int32, 0, n)
	for range n {
		x := int32(d.U32())
		if x < 0 || int(x) >= limit {
			d.Fail(ckpt.ErrCorrupt)
			return nil
		}
		v = append(v, x)
	}
	return v
}

// LoadState replaces the state of a fresh Resolver with what SaveState wrote.
func (r *Resolver) LoadState(d *ckpt.Dec) error {
	if v := d.Uvarint(); d.Err() == nil && v != stateVersion {
		return fmt.Errorf("%w (resolver state version %d, this sigprobe writes %d)", ErrStateVersion, v, stateVersion)
	}
	decCounters(d, &r.Stats)
	r.sweep = d.I64()
	r.hourly = d.I64()

	n := d.Count(60)
	r.cslab = make([]conn, n)
	for i := range r.cslab {
		c := &r.cslab[i]
		c.assoc = d.U64()
		c.refs[0], c.refs[1] = d.U32(), d.U32()
		c.has[0], c.has[1] = d.Bool(), d.Bool()
		c.bscSide = d.U8()
		c.imsi = sink.Digits(d.U64())
		c.vlr = d.U16()
		c.tmsi = tmsiKey(d.U64())
		c.cell = cellKey(d.U32())
		c.target = cellKey(d.U32())
		c.detached = d.Bool()
		c.last = d.I64()
		c.luType = int8(d.U8())
		c.callMO = d.Bool()
		c.inCall = d.Bool()
		c.smsDone = d.Bool()
		c.peer = sink.Digits(d.U64())
		c.setup = d.I64()
		c.answer = d.I64()
		c.release = d.I64()
		c.cause = d.U8()
		c.rand = d.U64()
		c.callCell = cellKey(d.U32())
		c.moLeg = d.U32()
		decHeld(d, &c.held)
	}
	r.cfree = decInt32s(d, len(r.cslab))
	clear(r.conns)
	for range d.Count(17) {
		k := connKey{assoc: d.U64(), ref: d.U32(), side: d.U8()}
		i := int32(d.U32())
		if i < 0 || int(i) >= len(r.cslab) {
			return d.Fail(ckpt.ErrCorrupt)
		}
		r.conns[k] = i
	}

	r.tslab = make([]txn, d.Count(40))
	for i := range r.tslab {
		t := &r.tslab[i]
		t.imsi = sink.Digits(d.U64())
		t.msisdn = sink.Digits(d.U64())
		t.keys[0], t.keys[1] = decTid(d), decTid(d)
		t.nkeys = d.U8()
		t.last = d.I64()
		t.told = d.Bool()
		t.sendIDTMSI = d.U32()
	}
	r.tfree = decInt32s(d, len(r.tslab))
	clear(r.txns)
	for range d.Count(17) {
		k := decTid(d)
		i := int32(d.U32())
		if i < 0 || int(i) >= len(r.tslab) {
			return d.Fail(ckpt.ErrCorrupt)
		}
		r.txns[k] = i
	}

	clear(r.prov)
	for range d.Count(10) {
		t := tmsiKey(d.U64())
		p := &provisional{}
		decHeld(d, &p.held)
		r.prov[t] = p
	}
	clear(r.hoSrc)
	for range d.Count(12) {
		k := sink.Digits(d.U64())
		r.hoSrc[k] = int32(d.U32())
	}
	clear(r.rands)
	for range d.Count(24) {
		k := d.U64()
		r.rands[k] = decTMSIEntry(d)
	}
	clear(r.waiting)
	for range d.Count(12) {
		k := d.U64()
		r.waiting[k] = int32(d.U32())
	}
	clear(r.waitingTMSI)
	for range d.Count(24) {
		k := d.U64()
		r.waitingTMSI[k] = waitTMSI{tmsi: tmsiKey(d.U64()), ts: d.I64()}
	}
	clear(r.las)
	r.plmns = r.plmns[:0]
	for range d.Count(10) {
		k := d.U64()
		r.las[k] = d.U16()
		if p := uint32(k >> 16); !slices.Contains(r.plmns, p) {
			r.plmns = append(r.plmns, p)
		}
	}
	clear(r.sendIDs)
	for range d.Count(20) {
		k := d.U32()
		r.sendIDs[k] = decTMSIEntry(d)
	}
	layout := d.U64()
	norph := d.Count(20)
	if norph > 0 && layout != decode.MessageLayout {
		return fmt.Errorf("%w (messages waiting for their connection were saved by a sigprobe with another message layout)", ErrStateVersion)
	}
	r.orphans = r.orphans[:0]
	clear(r.orphanN)
	for range norph {
		var o orphan
		o.k = connKey{assoc: d.U64(), ref: d.U32(), side: d.U8()}
		decMsg(d, &o.m)
		if d.Err() != nil {
			return d.Err()
		}
		r.orphans = append(r.orphans, o)
		r.orphanN[o.k]++
	}
	r.mapMSISDN = d.Bool()
	l := &r.link
	l.next = d.U32()
	for i := range l.legs {
		l.legs[i] = moLeg{seq: d.U32(), ts: d.I64(), caller: sink.Digits(d.U64()), called: sink.Digits(d.U64()), open: d.Bool()}
	}
	clear(l.votes)
	for range d.Count(25) {
		k := sink.Digits(d.U64())
		l.votes[k] = numberVote{num: sink.Digits(d.U64()), n: d.U8(), told: sink.Digits(d.U64())}
	}
	// Derived: what is held (open connections' and provisional histories).
	r.heldN = 0
	for i := range r.cslab {
		if r.open(int32(i)) {
			r.heldN += r.cslab[i].held.size()
		}
	}
	for _, p := range r.prov {
		r.heldN += p.held.size()
	}
	return d.Err()
}

// SaveState appends the State's state to e.
func (s *State) SaveState(e *ckpt.Enc) {
	e.Uvarint(stateVersion)
	encCounters(e, &s.Stats)
	e.I64(s.timeout)
	e.I64(s.wheelMin)

	e.Uvarint(uint64(len(s.subs)))
	for i := range s.subs {
		u := &s.subs[i]
		e.U64(uint64(u.imsi))
		e.U64(uint64(u.msisdn))
		e.U64(uint64(u.imei))
		e.U32(uint32(u.cell))
		e.U32(u.dwellStart)
		e.U32(u.lastSeen)
		e.U32(u.firstSeen)
		e.U32(u.lastAny)
		e.U32(u.offAt)
	}
	// The VLRs' point codes, then TMSI -> subscriber, by VLR and TMSI.
	e.Uvarint(uint64(len(s.vlrs)))
	for _, pc := range s.vlrs {
		e.U32(pc)
	}
	type tm struct {
		k   tmsiKey
		pos int32
		per uint8
	}
	tms := make([]tm, 0, s.tmsi.n)
	s.tmsi.each(func(k tmsiKey, pos int32, per uint8) { tms = append(tms, tm{k, pos, per}) })
	slices.SortFunc(tms, func(a, b tm) int { return cmpU(uint64(a.k), uint64(b.k)) })
	e.Uvarint(uint64(len(tms)))
	for _, x := range tms {
		e.U64(uint64(x.k))
		e.U32(uint32(x.pos))
		e.U8(x.per)
	}
	ab := make([]int32, 0, len(s.abroad))
	for i := range s.abroad {
		ab = append(ab, i)
	}
	slices.Sort(ab)
	e.Uvarint(uint64(len(ab)))
	for _, i := range ab {
		e.U32(uint32(i))
		e.U64(uint64(s.abroad[i]))
	}

	rg := &s.reg
	e.I64(rg.settled)
	e.U64(rg.Late)
	e.Uvarint(uint64(len(rg.names)))
	for g, name := range rg.names {
		e.String(name)
		e.U32(uint32(rg.live[g]))
		e.U32(rg.occ[g])
		e.U32(rg.roam[g])
	}
	// Who is inside which region since when, by region name.
	keys := sortedKeys(rg.since)
	e.Uvarint(uint64(len(keys)))
	for _, k := range keys {
		e.U32(uint32(k >> 32))
		e.U32(uint32(k))
		e.I64(rg.since[k])
	}
	// Unsettled minutes: per slot its minute and the counters of the
	// regions touched in it, in the order they were first touched.
	var live []int
	for i := range rg.ring {
		if rg.ring[i].min >= 0 {
			live = append(live, i)
		}
	}
	e.Uvarint(uint64(len(live)))
	for _, i := range live {
		m := &rg.ring[i]
		e.I64(m.min)
		e.Uvarint(uint64(len(m.ents)))
		for _, c := range m.ents {
			e.U32(uint32(c.g))
			e.U32(c.in)
			e.U32(c.out)
			e.U32(c.rIn)
			e.U32(c.rOut)
			for _, h := range c.hist {
				e.U32(h)
			}
		}
	}
}

// LoadState replaces the state of a State made by NewState (with the
// restarted probe's configuration) with what SaveState wrote.
func (s *State) LoadState(d *ckpt.Dec) error {
	if v := d.Uvarint(); d.Err() == nil && v != stateVersion {
		return fmt.Errorf("%w (state version %d, this sigprobe writes %d)", ErrStateVersion, v, stateVersion)
	}
	decCounters(d, &s.Stats)
	timeout := d.I64()
	s.wheelMin = d.I64()

	n := d.Count(48)
	s.subs = make([]subState, n, max(n, cap(s.subs)))
	s.idx = subIndex{}
	for i := range s.subs {
		u := &s.subs[i]
		u.imsi = sink.Digits(d.U64())
		u.msisdn = sink.Digits(d.U64())
		u.imei = sink.Digits(d.U64())
		u.cell = cellKey(d.U32())
		u.dwellStart = d.U32()
		u.lastSeen = d.U32()
		u.firstSeen = d.U32()
		u.lastAny = d.U32()
		u.offAt = d.U32()
		if d.Err() != nil {
			return d.Err()
		}
		if s.idx.get(s.subs, u.imsi) >= 0 {
			return d.Fail(fmt.Errorf("%w: subscriber listed twice", ckpt.ErrCorrupt))
		}
		s.idx.put(s.subs, u.imsi, int32(i), max(n, s.cfg.Subscribers))
	}
	s.vlrs, s.vlrIDs = nil, nil
	for range d.Count(4) {
		pc := d.U32()
		if _, dup := s.vlrIDs[pc]; dup {
			return d.Fail(fmt.Errorf("%w: VLR listed twice", ckpt.ErrCorrupt))
		}
		s.vlrOf(pc)
	}
	s.tmsi = tmsiIndex{}
	nt := d.Count(13)
	s.tmsi.grow(max(nt, s.cfg.Subscribers))
	for range nt {
		k, pos, per := tmsiKey(d.U64()), int32(d.U32()), d.U8()
		if d.Err() != nil {
			return d.Err()
		}
		if k.tmsi() == 0 || pos < 0 || int(pos) >= len(s.subs) || per >= periodModulo || s.tmsi.find(k) >= 0 {
			return d.Fail(fmt.Errorf("%w: bad TMSI mapping", ckpt.ErrCorrupt))
		}
		s.tmsi.insert(uint64(k.tmsi())<<32|uint64(per)<<tmsiPosBits|uint64(pos+1), k.vlr())
	}
	s.abroad = nil
	for range d.Count(12) {
		i, vlr := int32(d.U32()), sink.Digits(d.U64())
		if i < 0 || int(i) >= len(s.subs) {
			return d.Fail(ckpt.ErrCorrupt)
		}
		if s.abroad == nil {
			s.abroad = make(map[int32]sink.Digits)
		}
		s.abroad[i] = vlr
	}
	_ = timeout // the silence timeout comes from the configuration: nothing derives from the old one

	rg := &s.reg
	settled := d.I64()
	rg.Late = d.U64()
	// old region index -> new (-1: no longer configured)
	byName := make(map[string]int, len(rg.names))
	for g, name := range rg.names {
		byName[name] = g
	}
	remap := make([]int, d.Count(13))
	for og := range remap {
		name := d.String()
		live, occ, roam := int32(d.U32()), d.U32(), d.U32()
		remap[og] = -1
		if g, ok := byName[name]; ok {
			remap[og] = g
		}
		if g := remap[og]; g >= 0 {
			rg.live[g], rg.occ[g], rg.roam[g] = live, occ, roam
		}
	}
	clear(rg.since)
	for range d.Count(16) {
		u, og, since := d.U32(), int(d.U32()), d.I64()
		if og >= len(remap) || int(u) >= len(s.subs) {
			return d.Fail(ckpt.ErrCorrupt)
		}
		if g := remap[og]; g >= 0 {
			rg.since[sinceKey(int32(u), int32(g))] = since
		}
	}
	for range d.Count(9) {
		m := d.I64()
		var slot *minuteSlot
		if len(rg.ring) > 0 && m >= 0 {
			slot = &rg.ring[m%int64(len(rg.ring))]
			slot.min = m
		}
		for range d.Count(52) {
			og := int(d.U32())
			var c regionCount
			c.in, c.out, c.rIn, c.rOut = d.U32(), d.U32(), d.U32(), d.U32()
			for i := range c.hist {
				c.hist[i] = d.U32()
			}
			if og >= len(remap) {
				return d.Fail(ckpt.ErrCorrupt)
			}
			if g := remap[og]; g >= 0 && slot != nil {
				c.g = int32(g)
				if m > rg.lastMin[g] {
					rg.lastMin[g], rg.lastPos[g] = m, int32(len(slot.ents))
				}
				slot.ents = append(slot.ents, c)
			}
		}
	}
	if len(rg.names) > 0 {
		rg.settled = settled
	}
	if d.Err() != nil {
		return d.Err()
	}
	s.Stats.Subscribers = 0
	for i := range s.subs {
		if s.subs[i].firstSeen != 0 {
			s.Stats.Subscribers++
		}
	}
	return nil
}
