package track

import (
	"math/bits"

	"github.com/sigprobe/sigprobe/sink"
)

// Both indexes below are open addressing with linear probing, sized to
// any number of slots (a slot is picked by multiplying the hash with the
// size, not by masking, so sizes need not be powers of two) and kept at a
// load of at most maxLoad: a Go map would cost four to five times as much
// per subscriber.
const (
	loadNum, loadDen = 4, 5 // maxLoad = 0.8
	minSlots         = 1024
)

// slotsFor is the table size that holds n entries at maxLoad.
func slotsFor(n int) int { return max(minSlots, n*loadDen/loadNum+1) }

// home is the first slot of hash h in a table of size n.
func home(h uint64, n int) int {
	hi, _ := bits.Mul64(h, uint64(n))
	return int(hi)
}

func mix(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	return x ^ x>>33
}

// subIndex maps an IMSI to its position in State.subs: int32 slots (the
// key is read from the subscriber itself), 5 bytes a subscriber at the
// highest load.
type subIndex struct {
	slots []int32 // subscriber index + 1; 0 is empty
	n     int
}

// get returns the index of imsi in subs, or -1.
func (ix *subIndex) get(subs []subState, imsi sink.Digits) int32 {
	if ix.n == 0 {
		return -1
	}
	size := len(ix.slots)
	for h := home(mix(uint64(imsi)), size); ; h++ {
		if h == size {
			h = 0
		}
		v := ix.slots[h]
		if v == 0 {
			return -1
		}
		if subs[v-1].imsi == imsi {
			return v - 1
		}
	}
}

// put records that imsi is at subs[i] (imsi must not be present). expect
// sizes the table on first use or growth (at least the entries it will
// hold soon).
func (ix *subIndex) put(subs []subState, imsi sink.Digits, i int32, expect int) {
	if (ix.n+1)*loadDen > len(ix.slots)*loadNum {
		ix.grow(subs, max(expect, (ix.n+1)*3/2))
	}
	ix.insert(imsi, i)
}

func (ix *subIndex) insert(imsi sink.Digits, i int32) {
	size := len(ix.slots)
	for h := home(mix(uint64(imsi)), size); ; h++ {
		if h == size {
			h = 0
		}
		if ix.slots[h] == 0 {
			ix.slots[h] = i + 1
			ix.n++
			return
		}
	}
}

func (ix *subIndex) grow(subs []subState, n int) {
	ix.slots = make([]int32, slotsFor(n))
	ix.n = 0
	for i := range subs {
		if subs[i].imsi != 0 {
			ix.insert(subs[i].imsi, int32(i))
		}
	}
}

// tmsiKey is a TMSI qualified by the VLR that allocated it. A TMSI is
// unique only within its VLR (TS 23.003 2.4): two VLRs hand the same value
// to different subscribers, and a probe that keyed on the TMSI alone would
// give one subscriber's connections to the other. The VLR is a small
// number State gives each MSC signalling point code (vlrOf).
type tmsiKey uint64

func mkTMSIKey(vlr uint16, t uint32) tmsiKey { return tmsiKey(uint64(vlr)<<32 | uint64(t)) }
func (k tmsiKey) tmsi() uint32               { return uint32(k) }
func (k tmsiKey) vlr() uint16                { return uint16(k >> 32) }

// foreignVLR stands for a VLR outside the probe's network (a TMSI an
// inbound roamer brings from abroad): nothing is learned under it.
const foreignVLR = 0xffff

// tmsiIndex maps a TMSI of a VLR to the position of its subscriber in
// State.subs. A slot is 8 bytes: the TMSI, then 4 bits of the six-hour
// period the mapping was last used in and 28 bits of position + 1 (0:
// empty slot); beside it the VLR, one byte while State knows at most 256
// VLRs (any network a probe sees), two bytes past that. The table runs at
// a load of up to 0.85, a little fuller than the IMSI index: a probe
// compares a slot without leaving it, so a longer run costs little. That
// makes 10.6 bytes a mapping at the highest load. TMSI 0 is not stored
// (the Resolver takes it as none).
type tmsiIndex struct {
	slots []uint64
	vlr8  []uint8  // the VLR of each slot, until a VLR above 255 comes
	vlr16 []uint16 // then this, and vlr8 is nil
	n     int
}

const tmsiLoadNum, tmsiLoadDen = 17, 20 // 0.85

func (ix *tmsiIndex) vlrAt(h int) uint16 {
	if ix.vlr16 != nil {
		return ix.vlr16[h]
	}
	return uint16(ix.vlr8[h])
}

func (ix *tmsiIndex) setVLR(h int, v uint16) {
	if ix.vlr16 == nil && v > 0xff {
		ix.vlr16 = make([]uint16, len(ix.slots))
		for i, x := range ix.vlr8 {
			ix.vlr16[i] = uint16(x)
		}
		ix.vlr8 = nil
	}
	if ix.vlr16 != nil {
		ix.vlr16[h] = v
	} else {
		ix.vlr8[h] = uint8(v)
	}
}

const (
	tmsiPosBits  = 28
	tmsiPosMask  = 1<<tmsiPosBits - 1
	periodNs     = 6 * 3600e9
	periodsKept  = 12 // a mapping unused for 12 periods (three days) goes
	periodModulo = 16
	// MaxSubscribers is the most subscribers State can hold (the TMSI
	// index keeps a position in 28 bits).
	MaxSubscribers = tmsiPosMask - 1
)

func period(ts int64) uint64 { return uint64(ts/periodNs) % periodModulo }

func tmsiSlot(t uint32, pos int32, ts int64) uint64 {
	return uint64(t)<<32 | period(ts)<<tmsiPosBits | uint64(pos+1)
}

func (ix *tmsiIndex) find(k tmsiKey) int {
	size := len(ix.slots)
	if ix.n == 0 {
		return -1
	}
	t, vlr := k.tmsi(), k.vlr()
	for h := home(mix(uint64(k)), size); ; h++ {
		if h == size {
			h = 0
		}
		v := ix.slots[h]
		if v == 0 {
			return -1
		}
		if uint32(v>>32) == t && ix.vlrAt(h) == vlr {
			return h
		}
	}
}

// get returns the position of k's subscriber and marks the mapping used
// at ts, or -1.
func (ix *tmsiIndex) get(k tmsiKey, ts int64) int32 {
	h := ix.find(k)
	if h < 0 {
		return -1
	}
	pos := int32(ix.slots[h]&tmsiPosMask) - 1
	ix.slots[h] = tmsiSlot(k.tmsi(), pos, ts)
	return pos
}

// set maps k to pos, used at ts; it reports whether the mapping is new or
// changed. expect sizes the table when it must grow.
func (ix *tmsiIndex) set(k tmsiKey, pos int32, ts int64, expect int) bool {
	if k.tmsi() == 0 || pos >= MaxSubscribers {
		return false
	}
	if h := ix.find(k); h >= 0 {
		old := int32(ix.slots[h]&tmsiPosMask) - 1
		ix.slots[h] = tmsiSlot(k.tmsi(), pos, ts)
		return old != pos
	}
	if (ix.n+1)*tmsiLoadDen > len(ix.slots)*tmsiLoadNum {
		ix.grow(max(expect, (ix.n+1)*3/2))
	}
	ix.insert(tmsiSlot(k.tmsi(), pos, ts), k.vlr())
	return true
}

// keyAt is the key of the mapping in slot h.
func (ix *tmsiIndex) keyAt(h int) tmsiKey { return mkTMSIKey(ix.vlrAt(h), uint32(ix.slots[h]>>32)) }

func (ix *tmsiIndex) insert(v uint64, vlr uint16) {
	size := len(ix.slots)
	for h := home(mix(uint64(mkTMSIKey(vlr, uint32(v>>32)))), size); ; h++ {
		if h == size {
			h = 0
		}
		if ix.slots[h] == 0 {
			ix.slots[h] = v
			ix.setVLR(h, vlr)
			ix.n++
			return
		}
	}
}

func (ix *tmsiIndex) grow(n int) {
	old := *ix
	ix.slots = make([]uint64, max(minSlots, n*tmsiLoadDen/tmsiLoadNum+1))
	if old.vlr16 != nil {
		ix.vlr16 = make([]uint16, len(ix.slots))
	} else {
		ix.vlr8 = make([]uint8, len(ix.slots))
	}
	ix.n = 0
	for h, v := range old.slots {
		if v != 0 {
			ix.insert(v, old.vlrAt(h))
		}
	}
}

// del empties slot h and moves the entries after it that would no longer
// be found back into place (backward-shift deletion: no tombstones).
func (ix *tmsiIndex) del(h int) {
	size := len(ix.slots)
	ix.n--
	for j := h; ; {
		ix.slots[h] = 0
		ix.setVLR(h, 0)
		for {
			j++
			if j == size {
				j = 0
			}
			v := ix.slots[j]
			if v == 0 {
				return
			}
			// v may move to h unless its home lies cyclically in (h, j].
			k := home(mix(uint64(ix.keyAt(j))), size)
			if h <= j && (h < k && k <= j) || h > j && (h < k || k <= j) {
				continue
			}
			ix.slots[h] = v
			ix.setVLR(h, ix.vlrAt(j))
			h = j
			break
		}
	}
}

// expire drops the mappings unused for periodsKept periods at now; it
// returns how many.
func (ix *tmsiIndex) expire(now int64) (n uint64) {
	cur := period(now)
	for h := 0; h < len(ix.slots); {
		v := ix.slots[h]
		if v != 0 && (cur+periodModulo-(v>>tmsiPosBits)&(periodModulo-1))%periodModulo > periodsKept {
			ix.del(h)
			n++
			continue // h now holds what moved back, if anything
		}
		h++
	}
	return n
}

// each calls fn for every mapping (in slot order).
func (ix *tmsiIndex) each(fn func(k tmsiKey, pos int32, per uint8)) {
	for h, v := range ix.slots {
		if v != 0 {
			fn(ix.keyAt(h), int32(v&tmsiPosMask)-1, uint8(v>>tmsiPosBits&(periodModulo-1)))
		}
	}
}
