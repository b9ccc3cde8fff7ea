package track

import (
	"slices"

	"github.com/sigprobe/sigprobe/format/regions"
	"github.com/sigprobe/sigprobe/sink"
)

// regionState keeps micro-region counters. Live counts change at once; the
// per-minute rows are settled: a minute is written only when it is older
// than the silence timeout, because a phone that went silent inside a
// region is only known to have left (at its last message) that much later.
// Until then each minute's inflow, outflow and exit dwells sit in a ring
// of minutes, each holding only the regions touched in it: a hundred
// thousand regions cost their counters, not a counter per region per
// minute of the ring.
type regionState struct {
	names []string
	cells cellIndex
	live  []int32 // inside now (including the silent not yet detected)
	// since: when subscriber u entered region g (key u<<32 | g).
	since map[uint64]int64

	ring    []minuteSlot // minute m lives at ring[m % len(ring)]
	settled int64        // first minute not yet written
	occ     []uint32     // occupancy at the end of the last settled minute
	roam    []uint32
	Late    uint64 // entries or exits older than the ring, counted in its oldest minute
	// onMove, when set, is told of every entry and exit (stay: ns inside).
	onMove func(u int32, g int32, enter bool, ts, stay int64, c cellKey)
	at     []int32 // scratch of settle: region -> its entry + 1 in the minute settled
	// lastMin and lastPos: the newest minute each region was touched in,
	// and its entry there. A region touched in a minute after it has no
	// entry in it yet; one touched in a minute before it (a late exit) is
	// looked for.
	lastMin []int64
	lastPos []int32
	maxEnts int // the most regions any minute touched: slots grow to it at once
}

// minuteSlot is one minute's counters of the regions touched in it.
type minuteSlot struct {
	min  int64
	ents []regionCount
}

type regionCount struct {
	g         int32
	in, out   uint32
	rIn, rOut uint32 // roamers in, out
	hist      [8]uint32
}

// cellIndex maps a cell to the regions it belongs to: the regions of the
// i-th cell are regs[off[i]:off[i+1]], and an open-addressing table finds i
// (8-byte slots: the cell, then i + 1).
type cellIndex struct {
	slots []uint64
	off   []int32
	regs  []int32
}

func (x *cellIndex) of(c cellKey) []int32 {
	n := len(x.slots)
	if n == 0 {
		return nil
	}
	for h := home(mix(uint64(c)), n); ; h++ {
		if h == n {
			h = 0
		}
		v := x.slots[h]
		if v == 0 {
			return nil
		}
		if cellKey(v>>32) == c {
			i := uint32(v) - 1
			return x.regs[x.off[i]:x.off[i+1]]
		}
	}
}

// build indexes the cells of the regions of f.
func (x *cellIndex) build(f *regions.File) {
	n := 0
	for _, rg := range f.Regions {
		n += len(rg.Cells)
	}
	pairs := make([]uint64, 0, n) // cell<<32 | region: sorted, by cell then region
	for g, rg := range f.Regions {
		for _, c := range rg.Cells {
			pairs = append(pairs, uint64(mkCell(c.LAC, c.CI))<<32|uint64(g))
		}
	}
	slices.Sort(pairs)
	x.regs = make([]int32, 0, n)
	x.off = x.off[:0]
	var cells []cellKey
	for i, p := range pairs {
		c, g := cellKey(p>>32), int32(uint32(p))
		if i == 0 || cellKey(pairs[i-1]>>32) != c {
			cells = append(cells, c)
			x.off = append(x.off, int32(len(x.regs)))
		} else if pairs[i-1] == p {
			continue // a cell listed twice in a region counts once
		}
		x.regs = append(x.regs, g)
	}
	x.off = append(x.off, int32(len(x.regs)))
	x.slots = make([]uint64, slotsFor(len(cells)))
	size := len(x.slots)
	for i, c := range cells {
		h := home(mix(uint64(c)), size)
		for x.slots[h] != 0 {
			if h++; h == size {
				h = 0
			}
		}
		x.slots[h] = uint64(c)<<32 | uint64(i+1)
	}
}

func (r *regionState) init(f *regions.File, window int64) {
	r.since = map[uint64]int64{}
	r.settled = -1
	if f == nil {
		return
	}
	r.cells.build(f)
	n := len(f.Regions)
	r.names = make([]string, n)
	for i, rg := range f.Regions {
		r.names[i] = rg.Name
	}
	r.live, r.occ, r.roam, r.at = make([]int32, n), make([]uint32, n), make([]uint32, n), make([]int32, n)
	r.lastMin, r.lastPos = make([]int64, n), make([]int32, n)
	for g := range r.lastMin {
		r.lastMin[g] = -1
	}
	r.ring = make([]minuteSlot, window)
	for i := range r.ring {
		r.ring[i].min = -1
	}
}

func sinceKey(u int32, g int32) uint64 { return uint64(uint32(u))<<32 | uint64(uint32(g)) }

// count returns region g's counters in the minute of ts (or the oldest
// open one when ts is older than the ring).
func (r *regionState) count(ts int64, g int32) *regionCount {
	m := ts / 60e9
	if m < r.settled {
		r.Late++
		m = r.settled
	}
	s := &r.ring[m%int64(len(r.ring))]
	s.min = m
	switch last := r.lastMin[g]; {
	case last == m:
		return &s.ents[r.lastPos[g]]
	case last > m: // touched later already: look for its entry here
		for i := range s.ents {
			if s.ents[i].g == g {
				return &s.ents[i]
			}
		}
	default:
		r.lastMin[g], r.lastPos[g] = m, int32(len(s.ents))
	}
	if len(s.ents) == cap(s.ents) {
		r.maxEnts = max(r.maxEnts, 2*cap(s.ents), 16)
		s.ents = append(make([]regionCount, 0, r.maxEnts), s.ents...)
	}
	s.ents = append(s.ents, regionCount{g: g})
	return &s.ents[len(s.ents)-1]
}

// enter: subscriber u now dwells in cell c (its previous dwell, if any, was
// closed by leave first).
func (r *regionState) enter(u int32, c cellKey, ts int64, roamer bool) {
	for _, g := range r.cells.of(c) {
		k := sinceKey(u, g)
		if _, in := r.since[k]; in {
			continue
		}
		r.since[k] = ts
		r.live[g]++
		e := r.count(ts, g)
		e.in++
		if roamer {
			e.rIn++
		}
		if r.onMove != nil {
			r.onMove(u, g, true, ts, 0, c)
		}
	}
}

// leave: subscriber u's dwell in c ended at ts and the next one is in cell
// next (0: none). A region that contains both cells is not left: a move
// inside a region is neither an outflow nor an inflow.
func (r *regionState) leave(u int32, c, next cellKey, ts int64, roamer bool) {
	for _, g := range r.cells.of(c) {
		if next != 0 && slices.Contains(r.cells.of(next), g) {
			continue
		}
		k := sinceKey(u, g)
		t0, in := r.since[k]
		if !in {
			continue
		}
		delete(r.since, k)
		r.live[g]--
		e := r.count(ts, g)
		e.out++
		if roamer {
			e.rOut++
		}
		d := (ts - t0) / 1e9
		for b, ub := range sink.DwellBuckets {
			if d < ub {
				e.hist[b]++
				break
			}
		}
		if r.onMove != nil {
			r.onMove(u, g, false, ts, ts-t0, c)
		}
	}
}

// settle writes every minute before min: a row for each region occupied
// or touched, in region order.
func (r *regionState) settle(min int64, out *sink.Batch) {
	if len(r.names) == 0 || r.settled < 0 {
		return
	}
	for ; r.settled < min; r.settled++ {
		s := &r.ring[r.settled%int64(len(r.ring))]
		mine := s.min == r.settled
		if mine {
			for i := range s.ents {
				r.at[s.ents[i].g] = int32(i) + 1
			}
		}
		for g := range r.names {
			var c regionCount
			if mine && r.at[g] > 0 {
				c = s.ents[r.at[g]-1]
				r.at[g] = 0
			}
			r.occ[g] += c.in - c.out
			r.roam[g] += c.rIn - c.rOut
			if r.occ[g] == 0 && c.in == 0 && c.out == 0 {
				continue
			}
			out.RegionMinutes = append(out.RegionMinutes, sink.RegionMinute{Region: r.names[g], MinuteTS: r.settled * 60,
				Occupancy: r.occ[g], Inflow: c.in, Outflow: c.out, Roamers: r.roam[g], ExitDwell: c.hist})
		}
		if mine {
			s.ents = s.ents[:0]
			s.min = -1
		}
	}
}
