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
// Until then each minute's inflow, outflow and exit dwells sit in a ring.
type regionState struct {
	names []string
	cells map[cellKey][]int16
	live  []int32 // inside now (including the silent not yet detected)
	since map[uint64]int64

	ring    []minuteSlot // minute m lives at ring[m % len(ring)]
	settled int64        // first minute not yet written
	occ     []uint32     // occupancy at the end of the last settled minute
	roam    []uint32
	Late    uint64 // entries or exits older than the ring, counted in its oldest minute
	// onMove, when set, is told of every entry and exit (stay: ns inside).
	onMove func(u int32, g int16, enter bool, ts, stay int64, c cellKey)
}

type minuteSlot struct {
	min     int64
	in, out []uint32
	rIn     []uint32 // roamers in, out
	rOut    []uint32
	hist    [][8]uint32
	touched []int16
}

func (r *regionState) init(f *regions.File, window int64) {
	r.cells = map[cellKey][]int16{}
	r.since = map[uint64]int64{}
	r.settled = -1
	if f == nil {
		return
	}
	for i, rg := range f.Regions {
		r.names = append(r.names, rg.Name)
		for _, c := range rg.Cells {
			k := mkCell(c.LAC, c.CI)
			r.cells[k] = append(r.cells[k], int16(i))
		}
	}
	n := len(f.Regions)
	r.live, r.occ, r.roam = make([]int32, n), make([]uint32, n), make([]uint32, n)
	r.ring = make([]minuteSlot, window)
	for i := range r.ring {
		r.ring[i] = minuteSlot{min: -1, in: make([]uint32, n), out: make([]uint32, n), rIn: make([]uint32, n), rOut: make([]uint32, n), hist: make([][8]uint32, n)}
	}
}

// slot returns the ring slot of the minute of ts, or the oldest open one
// when ts is older than the ring.
func (r *regionState) slot(ts int64) *minuteSlot {
	m := ts / 60e9
	if m < r.settled {
		r.Late++
		m = r.settled
	}
	s := &r.ring[m%int64(len(r.ring))]
	if s.min != m {
		s.min = m
	}
	return s
}

// enter: subscriber u now dwells in cell c (its previous dwell, if any, was
// closed by leave first).
func (r *regionState) enter(u int32, c cellKey, ts int64, roamer bool) {
	for _, g := range r.cells[c] {
		k := uint64(u)<<16 | uint64(g)
		if _, in := r.since[k]; in {
			continue
		}
		r.since[k] = ts
		r.live[g]++
		s := r.slot(ts)
		s.in[g]++
		if roamer {
			s.rIn[g]++
		}
		s.touched = append(s.touched, g)
		if r.onMove != nil {
			r.onMove(u, g, true, ts, 0, c)
		}
	}
}

// leave: subscriber u's dwell in c ended at ts and the next one is in cell
// next (0: none). A region that contains both cells is not left: a move
// inside a region is neither an outflow nor an inflow.
func (r *regionState) leave(u int32, c, next cellKey, ts int64, roamer bool) {
	for _, g := range r.cells[c] {
		if next != 0 && slices.Contains(r.cells[next], g) {
			continue
		}
		k := uint64(u)<<16 | uint64(g)
		t0, in := r.since[k]
		if !in {
			continue
		}
		delete(r.since, k)
		r.live[g]--
		s := r.slot(ts)
		s.out[g]++
		if roamer {
			s.rOut[g]++
		}
		s.touched = append(s.touched, g)
		d := (ts - t0) / 1e9
		for b, ub := range sink.DwellBuckets {
			if d < ub {
				s.hist[g][b]++
				break
			}
		}
		if r.onMove != nil {
			r.onMove(u, g, false, ts, ts-t0, c)
		}
	}
}

// settle writes every minute before min.
func (r *regionState) settle(min int64, out *sink.Batch) {
	if len(r.names) == 0 || r.settled < 0 {
		return
	}
	for ; r.settled < min; r.settled++ {
		s := &r.ring[r.settled%int64(len(r.ring))]
		mine := s.min == r.settled
		for g := range r.names {
			var in, outf, rin, rout uint32
			var h [8]uint32
			if mine {
				in, outf, rin, rout, h = s.in[g], s.out[g], s.rIn[g], s.rOut[g], s.hist[g]
			}
			r.occ[g] += in - outf
			r.roam[g] += rin - rout
			if r.occ[g] == 0 && in == 0 && outf == 0 {
				continue
			}
			out.RegionMinutes = append(out.RegionMinutes, sink.RegionMinute{Region: r.names[g], MinuteTS: r.settled * 60,
				Occupancy: r.occ[g], Inflow: in, Outflow: outf, Roamers: r.roam[g], ExitDwell: h})
		}
		if mine {
			for _, g := range s.touched {
				s.in[g], s.out[g], s.rIn[g], s.rOut[g], s.hist[g] = 0, 0, 0, 0, [8]uint32{}
			}
			s.touched = s.touched[:0]
			s.min = -1
		}
	}
}
