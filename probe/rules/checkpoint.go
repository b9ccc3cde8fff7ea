package rules

import (
	"errors"
	"fmt"
	"slices"

	"github.com/sigprobe/sigprobe/probe/ckpt"
	"github.com/sigprobe/sigprobe/sink"
)

// An Engine's checkpoint holds its frequency caps (last firing per rule and
// subscriber, today's count per subscriber, the per-minute windows), the
// roam_in "first seen" memory, the armed dwell and silent timers and the
// counters, so a restart neither contacts anyone twice nor forgets a timer.
// Rules and regions are recorded by name: state of a rule or region that is
// gone after a restart is dropped, a new rule starts empty.

const engineStateVersion = 2

// ErrEngineVersion is returned by LoadState for state written by a sigprobe
// with another engine state layout.
var ErrEngineVersion = errors.New("trigger rules state was written by an incompatible sigprobe version")

func encKey(e *ckpt.Enc, k key) {
	e.U64(uint64(k.imsi))
	e.U16(k.rule)
	e.U32(uint32(k.region))
}

func sortKeys[V any](m map[key]V) []key {
	ks := make([]key, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.SortFunc(ks, func(a, b key) int {
		switch {
		case a.imsi != b.imsi:
			if a.imsi < b.imsi {
				return -1
			}
			return 1
		case a.rule != b.rule:
			return int(a.rule) - int(b.rule)
		}
		return int(a.region) - int(b.region)
	})
	return ks
}

// SaveState appends the engine's state to e.
func (e *Engine) SaveState(c *ckpt.Enc) {
	c.Uvarint(engineStateVersion)
	set := e.set
	c.Uvarint(uint64(len(set.rules)))
	for i := range set.rules {
		c.String(set.rules[i].name)
		k := &e.counters[i]
		for _, v := range []uint64{k.fired.Load(), k.filtered.Load(), k.optedOut.Load(), k.noOptIn.Load(),
			k.minInterval.Load(), k.dailyCap.Load(), k.rate.Load(), k.control.Load()} {
			c.U64(v)
		}
		l := &set.limits[i]
		l.mu.Lock()
		c.I64(l.minute)
		c.I64(l.n)
		l.mu.Unlock()
	}
	c.Uvarint(uint64(len(set.regionNames)))
	for _, n := range set.regionNames {
		c.String(n)
	}
	c.U64(e.facts.Load())
	c.I64(e.now)
	c.I64(e.nextSweep)

	c.Uvarint(uint64(len(e.slots)))
	for i := range e.slots {
		p := &e.slots[i]
		encKey(c, p.key)
		c.I64(p.due)
		c.I64(p.since)
		c.U32(uint32(p.hi))
		c.U64(uint64(p.msisdn))
		c.U32(uint32(p.region))
		c.U16(p.lac)
		c.U16(p.ci)
		c.Bool(p.roamer)
	}
	c.Uvarint(uint64(len(e.free)))
	for _, f := range e.free {
		c.U32(uint32(f))
	}
	c.Uvarint(uint64(len(e.heap)))
	for _, h := range e.heap {
		c.I64(h.due)
		c.U32(uint32(h.slot))
	}
	ks := sortKeys(e.lastFired)
	c.Uvarint(uint64(len(ks)))
	for _, k := range ks {
		encKey(c, k)
		c.I64(e.lastFired[k])
	}
	ds := make([]sink.Digits, 0, len(e.daily))
	for k := range e.daily {
		ds = append(ds, k)
	}
	slices.Sort(ds)
	c.Uvarint(uint64(len(ds)))
	for _, k := range ds {
		c.U64(uint64(k))
		c.I64(e.daily[k].day)
		c.I64(e.daily[k].n)
	}
	ks = sortKeys(e.once)
	c.Uvarint(uint64(len(ks)))
	for _, k := range ks {
		encKey(c, k)
		c.I64(e.once[k])
	}
	c.Uvarint(uint64(e.waits))
	ks = sortKeys(e.counts)
	c.Uvarint(uint64(len(ks)))
	for _, k := range ks {
		encKey(c, k)
		r := &e.countSlab[e.counts[k]]
		c.U8(r.n)
		c.U8(r.head)
		for _, ts := range r.ts {
			c.I64(ts)
		}
	}
	ks = sortKeys(e.matched)
	c.Uvarint(uint64(len(ks)))
	for _, k := range ks {
		encKey(c, k)
		c.I64(e.matched[k].last)
		c.I64(e.matched[k].prev)
	}
}

// LoadState replaces a fresh engine's state (New with the restarted probe's
// rules) with what SaveState wrote.
func (e *Engine) LoadState(d *ckpt.Dec) error {
	if v := d.Uvarint(); d.Err() == nil && v != engineStateVersion {
		return fmt.Errorf("%w (version %d, this sigprobe writes %d)", ErrEngineVersion, v, engineStateVersion)
	}
	set := e.set
	ruleMap := make([]int, d.Count(1)) // old rule index -> new (-1: gone)
	for i := range ruleMap {
		name := d.String()
		var v [8]uint64
		for j := range v {
			v[j] = d.U64()
		}
		minute, n := d.I64(), d.I64()
		ruleMap[i] = slices.IndexFunc(set.rules, func(r rule) bool { return r.name == name })
		if j := ruleMap[i]; j >= 0 {
			k := &e.counters[j]
			k.control.Store(v[7])
			k.fired.Store(v[0])
			k.filtered.Store(v[1])
			k.optedOut.Store(v[2])
			k.noOptIn.Store(v[3])
			k.minInterval.Store(v[4])
			k.dailyCap.Store(v[5])
			k.rate.Store(v[6])
			l := &set.limits[j]
			l.mu.Lock()
			l.minute, l.n = minute, n
			l.mu.Unlock()
		}
	}
	regionMap := make([]int32, d.Count(1))
	for i := range regionMap {
		regionMap[i] = int32(slices.Index(set.regionNames, d.String()))
	}
	// mapKey translates an old key; ok is false when its rule or region is gone.
	mapKey := func(k key) (key, bool) {
		if int(k.rule) >= len(ruleMap) || ruleMap[k.rule] < 0 {
			return k, false
		}
		k.rule = uint16(ruleMap[k.rule])
		if k.region >= 0 {
			if int(k.region) >= len(regionMap) || regionMap[k.region] < 0 {
				return k, false
			}
			k.region = regionMap[k.region]
		}
		return k, true
	}
	decKey := func() key { return key{imsi: sink.Digits(d.U64()), rule: d.U16(), region: int32(d.U32())} }
	e.facts.Store(d.U64())
	e.now = d.I64()
	e.nextSweep = d.I64()

	e.slots = make([]pend, d.Count(40))
	dropped := false
	for i := range e.slots {
		p := &e.slots[i]
		p.key = decKey()
		p.due, p.since = d.I64(), d.I64()
		p.hi = int32(d.U32())
		p.msisdn = sink.Digits(d.U64())
		p.region = int32(d.U32())
		p.lac, p.ci = d.U16(), d.U16()
		p.roamer = d.Bool()
		if p.region >= 0 && int(p.region) < len(regionMap) {
			p.region = regionMap[p.region]
		}
		if p.key.imsi == 0 {
			continue // a free slot
		}
		if k, ok := mapKey(p.key); ok {
			p.key = k
		} else {
			*p = pend{hi: -1}
			dropped = true
		}
	}
	e.free = e.free[:0]
	for range d.Count(4) {
		f := int32(d.U32())
		if f < 0 || int(f) >= len(e.slots) {
			return d.Fail(ckpt.ErrCorrupt)
		}
		e.free = append(e.free, f)
	}
	e.heap = e.heap[:0]
	for range d.Count(12) {
		h := hent{due: d.I64(), slot: int32(d.U32())}
		if h.slot < 0 || int(h.slot) >= len(e.slots) {
			return d.Fail(ckpt.ErrCorrupt)
		}
		e.heap = append(e.heap, h)
	}
	clear(e.index)
	for i := range e.slots {
		if p := &e.slots[i]; p.key.imsi != 0 {
			e.index[p.key] = int32(i)
		} else if dropped {
			p.hi = -1
		}
	}
	if dropped { // rules or regions went away: rebuild the heap and the free list
		e.free = e.free[:0]
		e.heap = e.heap[:0]
		e.pending.Store(0)
		for i := range e.slots {
			p := &e.slots[i]
			switch {
			case p.key.imsi == 0:
				e.free = append(e.free, int32(i))
			case p.due != 0:
				e.hpush(int32(i))
			}
		}
	} else {
		e.pending.Store(int64(len(e.heap)))
	}

	clear(e.lastFired)
	for range d.Count(22) {
		k, t := decKey(), d.I64()
		if k, ok := mapKey(k); ok {
			e.lastFired[k] = t
		}
	}
	clear(e.daily)
	for range d.Count(24) {
		e.daily[sink.Digits(d.U64())] = dayCount{day: d.I64(), n: d.I64()}
	}
	clear(e.once)
	for range d.Count(22) {
		k, t := decKey(), d.I64()
		if k, ok := mapKey(k); ok {
			e.once[k] = t
		}
	}
	e.waits = int(d.Uvarint())
	if dropped { // count the roam_in waits that are left
		e.waits = 0
		for i := range e.slots {
			if p := &e.slots[i]; p.key.imsi != 0 && e.set.rules[p.key.rule].kind == kRoamIn {
				e.waits++
			}
		}
	}
	clear(e.counts)
	e.countSlab, e.countFree = e.countSlab[:0], e.countFree[:0]
	for range d.Count(14 + 8*maxCount) {
		k := decKey()
		var r countRing
		r.n, r.head = d.U8(), d.U8()
		for j := range r.ts {
			r.ts[j] = d.I64()
		}
		if int(r.n) > maxCount || int(r.head) >= maxCount {
			return d.Fail(ckpt.ErrCorrupt)
		}
		if k, ok := mapKey(k); ok {
			e.countSlab = append(e.countSlab, r)
			e.counts[k] = int32(len(e.countSlab) - 1)
		}
	}
	clear(e.matched)
	for range d.Count(30) {
		k, last, prev := decKey(), d.I64(), d.I64()
		if k, ok := mapKey(k); ok {
			e.matched[k] = matchPair{last: last, prev: prev}
		}
	}
	return d.Err()
}
