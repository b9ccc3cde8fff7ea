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

// tmsiIndex maps a TMSI to the position of its subscriber in State.subs.
// A slot is 8 bytes: the TMSI, then 4 bits of the six-hour period the
// mapping was last used in and 28 bits of position + 1 (0: empty slot) —
// 10 bytes a mapping at the highest load. TMSI 0 is not stored (the
// Resolver takes it as none).
type tmsiIndex struct {
	slots []uint64
	n     int
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

func (ix *tmsiIndex) find(t uint32) int {
	size := len(ix.slots)
	if ix.n == 0 {
		return -1
	}
	for h := home(mix(uint64(t)), size); ; h++ {
		if h == size {
			h = 0
		}
		v := ix.slots[h]
		if v == 0 {
			return -1
		}
		if uint32(v>>32) == t {
			return h
		}
	}
}

// get returns the position of t's subscriber and marks the mapping used
// at ts, or -1.
func (ix *tmsiIndex) get(t uint32, ts int64) int32 {
	h := ix.find(t)
	if h < 0 {
		return -1
	}
	pos := int32(ix.slots[h]&tmsiPosMask) - 1
	ix.slots[h] = tmsiSlot(t, pos, ts)
	return pos
}

// set maps t to pos, used at ts; it reports whether the mapping is new or
// changed. expect sizes the table when it must grow.
func (ix *tmsiIndex) set(t uint32, pos int32, ts int64, expect int) bool {
	if t == 0 || pos >= MaxSubscribers {
		return false
	}
	if h := ix.find(t); h >= 0 {
		old := int32(ix.slots[h]&tmsiPosMask) - 1
		ix.slots[h] = tmsiSlot(t, pos, ts)
		return old != pos
	}
	if (ix.n+1)*loadDen > len(ix.slots)*loadNum {
		ix.grow(max(expect, (ix.n+1)*3/2))
	}
	ix.insert(tmsiSlot(t, pos, ts))
	return true
}

func (ix *tmsiIndex) insert(v uint64) {
	size := len(ix.slots)
	for h := home(mix(v>>32), size); ; h++ {
		if h == size {
			h = 0
		}
		if ix.slots[h] == 0 {
			ix.slots[h] = v
			ix.n++
			return
		}
	}
}

func (ix *tmsiIndex) grow(n int) {
	old := ix.slots
	ix.slots = make([]uint64, slotsFor(n))
	ix.n = 0
	for _, v := range old {
		if v != 0 {
			ix.insert(v)
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
			k := home(mix(v>>32), size)
			if h <= j && (h < k && k <= j) || h > j && (h < k || k <= j) {
				continue
			}
			ix.slots[h] = v
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
func (ix *tmsiIndex) each(fn func(t uint32, pos int32, per uint8)) {
	for _, v := range ix.slots {
		if v != 0 {
			fn(uint32(v>>32), int32(v&tmsiPosMask)-1, uint8(v>>tmsiPosBits&(periodModulo-1)))
		}
	}
}
