package probe

import (
	"math"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// reorder puts one source worker's packets back in capture-time order
// before they are decoded, and keeps its clock sane. It runs on the
// worker's goroutine; steady state allocates nothing (buffers are reused).
//
// Order: a tap aggregator merging several ports stamps each packet on
// ingress but delivers it when its output queue gets to it, and a live
// worker drains its rings (one per interface) one after the other. So a
// packet is held until one at least window newer has arrived (live, also
// until the window has passed on the wall clock) and released in capture
// time order (arrival order between equal times). A packet that comes
// after a newer one was already released is late: counted and released
// at once. At most maxHeld packets wait; past that the oldest leaves
// early (counted).
//
// Clock: a packet stamped more than skew away from the running clock (the
// newest capture time accepted) is an outlier — a capture card's glitch,
// one packet from next year — counted and decoded at the running clock's
// time, so it neither moves the clock nor makes the tracker expire anyone.
// The clock follows a jump only when the next jumpAfter packets agree on
// the new time (the capture host's clock was set, a quiet hour passed, a
// file holds two captures); until they do, they wait. It starts at the
// median time of the first startPackets packets.
type reorder struct {
	window, skew int64
	maxHeld      int
	deliver      func(*packet)

	// Held packets live in slab; order lists them by (time, arrival) from
	// head on: packets mostly come in order, so most are appended.
	slab  []heldPkt
	order []ent
	head  int
	spare []int32 // free slab entries
	free  [][]byte
	seq   uint64

	started bool
	clock   int64 // newest capture time accepted
	out     int64 // capture time of the last packet released
	// pending: outliers that agree with each other, waiting to see whether
	// the clock jumped (jumpAfter of them) or they were glitches.
	pending []heldPkt
	stats   ReorderStats
	p       packet
}

// ReorderStats are the counters of the reorder stages in front of the
// decoders (capture.reorder_window, capture.clock_skew).
type ReorderStats struct {
	Late     uint64 // packets older than one already released: the window was too short
	Overflow uint64 // packets released early because maxHeld were waiting
	Outliers uint64 // packets stamped far from the running clock, decoded at its time
	Jumps    uint64 // times the clock followed a jump
}

func (s *ReorderStats) add(o *ReorderStats) {
	s.Late += o.Late
	s.Overflow += o.Overflow
	s.Outliers += o.Outliers
	s.Jumps += o.Jumps
}

type heldPkt struct {
	ts, seq int64
	frame   uint64
	lt      layers.LinkType
	data    []byte
}

type ent struct {
	ts   int64
	seq  int64
	slot int32
}

func (a *ent) before(b *ent) bool { return a.ts < b.ts || a.ts == b.ts && a.seq < b.seq }

// held is the number of packets in the window.
func (r *reorder) held() int { return len(r.order) - r.head }

// oldest is the capture time of the oldest packet held in the window, if
// any (outliers waiting for the clock to follow them are not: no time makes
// them due).
func (r *reorder) oldest() (int64, bool) {
	if r.held() > 0 {
		return r.order[r.head].ts, true
	}
	return 0, false
}

const (
	// startPackets are looked at before the clock starts: their median.
	startPackets = 15
	// jumpAfter packets agreeing on a new time make the clock follow.
	jumpAfter = 8
)

// newReorder returns a stage that hands packets to deliver. window 0
// keeps the arrival order; skew 0 trusts every timestamp; maxHeld 0 is
// DefaultReorderMaxPackets.
func newReorder(window, skew time.Duration, maxHeld int, deliver func(*packet)) *reorder {
	if maxHeld <= 0 {
		maxHeld = DefaultReorderMaxPackets
	}
	return &reorder{window: int64(window), skew: int64(skew), maxHeld: maxHeld, deliver: deliver, out: math.MinInt64}
}

// add takes one packet from the source (p.data is copied).
func (r *reorder) add(p *packet) {
	h := r.hold(p)
	if !r.started {
		r.pending = append(r.pending, h)
		if len(r.pending) >= startPackets {
			r.start()
		}
		return
	}
	if r.skew > 0 && (h.ts > r.clock+r.skew || h.ts < r.clock-r.skew) {
		r.outlier(h)
		return
	}
	r.glitches()
	r.accept(h)
}

// outlier handles a packet far from the clock: it joins the pending ones
// if it agrees with them, else they were glitches and it starts anew.
func (r *reorder) outlier(h heldPkt) {
	if n := len(r.pending); n > 0 && absDiff(h.ts, r.pending[n-1].ts) > r.skew {
		r.glitches()
	}
	r.pending = append(r.pending, h)
	if len(r.pending) < jumpAfter {
		return
	}
	// The clock jumped: what waits in the window belongs to the old time.
	r.stats.Jumps++
	r.releaseAll()
	r.clock, r.out = r.pending[0].ts, math.MinInt64
	for _, x := range r.pending {
		r.accept(x)
	}
	r.pending = r.pending[:0]
}

// glitches takes the pending outliers as glitches: counted, decoded at the
// running clock's time.
func (r *reorder) glitches() {
	for _, x := range r.pending {
		r.stats.Outliers++
		x.ts = r.clock
		r.accept(x)
	}
	r.pending = r.pending[:0]
}

// start sets the clock at the median of the first packets; those far from
// it are outliers.
func (r *reorder) start() {
	r.started = true
	n := len(r.pending)
	if n == 0 {
		return
	}
	// Insertion sort of the few timestamps (no allocation).
	var ts [startPackets]int64
	k := 0
	for _, x := range r.pending {
		t := x.ts
		i := k
		for ; i > 0 && ts[i-1] > t; i-- {
			ts[i] = ts[i-1]
		}
		ts[i] = t
		k++
	}
	med := ts[(k-1)/2]
	// The clock starts at the oldest sane time and moves on as they are
	// taken in arrival order, as it will afterwards.
	r.clock = med
	for _, t := range ts[:k] {
		if r.skew <= 0 || absDiff(t, med) <= r.skew {
			r.clock = min(r.clock, t)
		}
	}
	for _, x := range r.pending {
		if r.skew > 0 && absDiff(x.ts, med) > r.skew {
			r.stats.Outliers++
			x.ts = med
		}
		r.accept(x)
	}
	r.pending = r.pending[:0]
}

func absDiff(a, b int64) int64 {
	if a > b {
		return a - b
	}
	return b - a
}

// accept puts a packet with a sane time in the window and releases what
// the window no longer needs to hold.
func (r *reorder) accept(h heldPkt) {
	if h.ts > r.clock {
		r.clock = h.ts
	}
	if h.ts < r.out {
		r.stats.Late++ // released at once, after newer ones
		r.emit(&h)
		return
	}
	if r.window <= 0 {
		r.out = h.ts
		r.emit(&h)
		return
	}
	r.push(h)
	for r.held() > 0 && (r.order[r.head].ts <= r.clock-r.window || r.held() > r.maxHeld) {
		if r.order[r.head].ts > r.clock-r.window {
			r.stats.Overflow++
		}
		r.pop()
	}
}

// releaseUntil releases every held packet stamped at or before t: a live
// worker whose rings are empty knows nothing older can come (the wall clock
// minus what the kernel may still hold in a ring block). It returns the
// time up to which the worker's output is complete.
func (r *reorder) releaseUntil(t int64) int64 {
	if !r.started && len(r.pending) > 0 {
		r.start()
	}
	if len(r.pending) > 0 && absDiff(t, r.pending[0].ts) <= r.skew {
		// Live: the wall clock agrees with the pending packets' new time.
		r.stats.Jumps++
		r.releaseAll()
		r.clock, r.out = r.pending[0].ts, math.MinInt64
		for _, x := range r.pending {
			r.accept(x)
		}
		r.pending = r.pending[:0]
	}
	for r.held() > 0 && r.order[r.head].ts <= t {
		r.pop()
	}
	if t > r.out && len(r.pending) == 0 {
		r.out = t
	}
	return r.out
}

// flush releases everything: the source ended. Outliers still pending
// (fewer than jumpAfter agreed) were glitches.
func (r *reorder) flush() {
	if !r.started {
		r.start()
	}
	r.glitches()
	r.releaseAll()
}

func (r *reorder) releaseAll() {
	for r.held() > 0 {
		r.pop()
	}
}

// hold copies p into a reused buffer.
func (r *reorder) hold(p *packet) heldPkt {
	var b []byte
	if n := len(r.free); n > 0 {
		b = r.free[n-1][:0]
		r.free = r.free[:n-1]
	}
	b = append(b, p.data...)
	r.seq++
	return heldPkt{ts: p.ts, seq: int64(r.seq), frame: p.frame, lt: p.lt, data: b}
}

func (r *reorder) emit(h *heldPkt) {
	r.p = packet{lt: h.lt, ts: h.ts, frame: h.frame, data: h.data}
	r.deliver(&r.p)
	r.free = append(r.free, h.data)
}

// push holds h in its place by (time, arrival).
func (r *reorder) push(h heldPkt) {
	var slot int32
	if n := len(r.spare); n > 0 {
		slot = r.spare[n-1]
		r.spare = r.spare[:n-1]
		r.slab[slot] = h
	} else {
		r.slab = append(r.slab, h)
		slot = int32(len(r.slab) - 1)
	}
	e := ent{ts: h.ts, seq: h.seq, slot: slot}
	n := len(r.order)
	if n == r.head || !e.before(&r.order[n-1]) {
		r.order = append(r.order, e)
		return
	}
	// Binary search of its place among the held ones.
	lo, hi := r.head, n-1
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if e.before(&r.order[m]) {
			hi = m
		} else {
			lo = m + 1
		}
	}
	r.order = append(r.order, ent{})
	copy(r.order[lo+1:], r.order[lo:n])
	r.order[lo] = e
}

// pop releases the oldest held packet.
func (r *reorder) pop() {
	e := r.order[r.head]
	r.head++
	if r.head == len(r.order) {
		r.order, r.head = r.order[:0], 0
	} else if r.head >= 4096 && r.head*2 >= len(r.order) {
		n := copy(r.order, r.order[r.head:])
		r.order, r.head = r.order[:n], 0
	}
	h := r.slab[e.slot]
	r.slab[e.slot] = heldPkt{}
	r.spare = append(r.spare, e.slot)
	if h.ts > r.out {
		r.out = h.ts
	}
	r.emit(&h)
}
