package track

import (
	"slices"

	"github.com/sigprobe/sigprobe/probe/regions"
	"github.com/sigprobe/sigprobe/sink"
)

// regionState keeps live micro-region counters.
type regionState struct {
	names  []string
	cells  map[cellKey][]int16
	occ    []uint32
	roam   []uint32
	in     []uint32
	out    []uint32
	hist   [][8]uint32
	active []bool
	since  map[uint64]int64 // subscriber<<16|region -> entered (ns)
	roamer map[int32]bool
	cur    int64 // the minute being counted
}

func (r *regionState) init(f *regions.File) {
	r.cells = map[cellKey][]int16{}
	r.since = map[uint64]int64{}
	r.roamer = map[int32]bool{}
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
	r.occ, r.roam, r.in, r.out = make([]uint32, n), make([]uint32, n), make([]uint32, n), make([]uint32, n)
	r.hist, r.active = make([][8]uint32, n), make([]bool, n)
}

func (r *regionState) start(min int64) { r.cur = min }

// enter: subscriber u now dwells in cell c (its previous dwell, if any, was
// closed by leave first).
func (r *regionState) enter(u int32, c cellKey, ts int64, roamer bool) {
	for _, g := range r.cells[c] {
		k := uint64(u)<<16 | uint64(g)
		if _, in := r.since[k]; in {
			continue
		}
		r.since[k] = ts
		r.occ[g]++
		r.in[g]++
		r.active[g] = true
		if roamer {
			r.roam[g]++
			r.roamer[u] = true
		}
	}
}

// leave: subscriber u's dwell in c ended at ts and the next one is in cell
// next (0: none). A region that contains both cells is not left: a move
// inside a region is neither an outflow nor an inflow.
func (r *regionState) leave(u int32, c, next cellKey, ts int64) {
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
		r.occ[g]--
		r.out[g]++
		r.active[g] = true
		if r.roamer[u] {
			r.roam[g]--
		}
		d := (ts - t0) / 1e9
		for b, ub := range sink.DwellBuckets {
			if d < ub {
				r.hist[g][b]++
				break
			}
		}
	}
}

// minute closes every minute before min, appending rows for regions with
// anyone inside or any movement.
func (r *regionState) minute(min int64, out *sink.Batch) {
	for ; r.cur < min; r.cur++ {
		for g := range r.names {
			if r.occ[g] == 0 && !r.active[g] {
				continue
			}
			out.RegionMinutes = append(out.RegionMinutes, sink.RegionMinute{Region: r.names[g], MinuteTS: r.cur * 60,
				Occupancy: r.occ[g], Inflow: r.in[g], Outflow: r.out[g], Roamers: r.roam[g], ExitDwell: r.hist[g]})
			r.in[g], r.out[g], r.active[g], r.hist[g] = 0, 0, false, [8]uint32{}
		}
	}
}
