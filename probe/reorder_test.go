package probe

import (
	"slices"
	"strconv"
	"testing"
	"time"
)

// reorderRun feeds packets stamped ts (ms; data: their index) through a
// reorder stage and returns what it released: index@ms.
func reorderRun(window, skew time.Duration, maxHeld int, ts []int64, flush bool) ([]string, ReorderStats) {
	var out []string
	r := newReorder(window, skew, maxHeld, func(p *packet) {
		out = append(out, string(p.data)+"@"+strconv.FormatInt(p.ts/1e6, 10))
	})
	for i, t := range ts {
		r.add(&packet{ts: t * 1e6, frame: uint64(i + 1), data: []byte(strconv.Itoa(i))})
	}
	if flush {
		r.flush()
	}
	return out, r.stats
}

func TestReorder(t *testing.T) {
	const ms, hour, year = 1, 3_600_000, 365 * 24 * 3_600_000
	seq := func(from, n, step int64) []int64 {
		var v []int64
		for i := range n {
			v = append(v, from+i*step)
		}
		return v
	}
	for _, tc := range []struct {
		name         string
		window, skew time.Duration
		max          int
		ts           []int64
		want         []string // nil: not checked
		stats        ReorderStats
	}{
		{name: "in order", window: 100 * time.Millisecond, skew: time.Hour, max: 100, ts: []int64{1, 2, 3},
			want: []string{"0@1", "1@2", "2@3"}},
		{name: "put back in order within the window", window: 100 * time.Millisecond, skew: time.Hour, max: 100,
			ts:   []int64{10, 60, 20, 50, 30, 40, 200},
			want: []string{"0@10", "2@20", "4@30", "5@40", "3@50", "1@60", "6@200"}},
		{name: "equal times keep their arrival order", window: 100 * time.Millisecond, skew: time.Hour, max: 100,
			ts: []int64{5, 5, 4, 5}, want: []string{"2@4", "0@5", "1@5", "3@5"}},
		{name: "the first packets, a few seconds of them, a little out of order", window: 100 * time.Millisecond, skew: time.Hour, max: 100,
			ts:   []int64{0, 80, 10, 90, 20, 1000, 950, 1010, 2000, 1990, 2010, 3000, 2950, 3010, 3020, 4000},
			want: []string{"0@0", "2@10", "4@20", "1@80", "3@90", "6@950", "5@1000", "7@1010", "9@1990", "8@2000", "10@2010", "12@2950", "11@3000", "13@3010", "14@3020", "15@4000"}},
		{name: "late: older than what the window already let go", window: 10 * time.Millisecond, skew: time.Hour, max: 100,
			ts:    []int64{0, 100, 200, 50, 300},
			want:  []string{"0@0", "1@100", "3@50", "2@200", "4@300"},
			stats: ReorderStats{Late: 1}},
		{name: "full: the oldest leave early", window: time.Second, skew: time.Hour, max: 2,
			ts: []int64{1, 2, 3, 4}, want: []string{"0@1", "1@2", "2@3", "3@4"}, stats: ReorderStats{Overflow: 2}},
		{name: "window 0: arrival order", window: 0, skew: time.Hour, max: 100,
			ts: []int64{3, 1, 2}, want: []string{"0@3", "1@1", "2@2"}, stats: ReorderStats{Late: 2}},
		{name: "one packet from next year: decoded at the running clock", window: 100 * time.Millisecond, skew: time.Hour, max: 100,
			ts:    append(append(seq(0, 20, 10*ms), year), seq(200, 20, 10*ms)...),
			stats: ReorderStats{Outliers: 1}},
		{name: "the first packet from 1970", window: 100 * time.Millisecond, skew: time.Hour, max: 100,
			ts:    append([]int64{-year}, seq(0, 40, 10*ms)...),
			stats: ReorderStats{Outliers: 1}},
		{name: "the clock jumps: followed once the packets agree", window: 100 * time.Millisecond, skew: time.Hour, max: 100,
			ts:    append(seq(0, 20, 10*ms), seq(5*hour, 20, 10*ms)...),
			stats: ReorderStats{Jumps: 1}},
		{name: "and back again", window: 100 * time.Millisecond, skew: time.Hour, max: 100,
			ts:    append(append(seq(5*hour, 20, 10*ms), seq(0, 20, 10*ms)...), 5*hour+300),
			stats: ReorderStats{Jumps: 1, Outliers: 1}},
		{name: "no clock check", window: 100 * time.Millisecond, skew: 0, max: 100,
			ts: append(seq(0, 20, 10*ms), year), stats: ReorderStats{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, st := reorderRun(tc.window, tc.skew, tc.max, tc.ts, true)
			if tc.want != nil && !slices.Equal(out, tc.want) {
				t.Errorf("released %v, want %v", out, tc.want)
			}
			if len(out) != len(tc.ts) {
				t.Errorf("released %d packets of %d", len(out), len(tc.ts))
			}
			if st != tc.stats {
				t.Errorf("stats %+v, want %+v", st, tc.stats)
			}
			// The released times never leap further than the skew
			// unless the clock followed a jump.
			for i := 1; i < len(out); i++ {
				_, a, _ := cutAt(out[i-1])
				_, b, _ := cutAt(out[i])
				if tc.skew > 0 && b-a > int64(tc.skew/time.Millisecond) && st.Jumps == 0 {
					t.Errorf("released %s after %s: the clock moved past the skew", out[i], out[i-1])
				}
			}
		})
	}
}

func cutAt(s string) (string, int64, bool) {
	for i := range s {
		if s[i] == '@' {
			n, err := strconv.ParseInt(s[i+1:], 10, 64)
			return s[:i], n, err == nil
		}
	}
	return s, 0, false
}

// A live worker whose rings are empty releases what the wall clock says
// can no longer be overtaken, and reports how far its output is complete.
func TestReorderReleaseUntil(t *testing.T) {
	var out []int64
	r := newReorder(100*time.Millisecond, time.Hour, 100, func(p *packet) { out = append(out, p.ts) })
	for _, ts := range []int64{1e9, 1.05e9, 1.02e9} {
		r.add(&packet{ts: ts, data: []byte{1}})
	}
	if len(out) != 0 {
		t.Fatalf("released %v before the clock started", out)
	}
	if up := r.releaseUntil(1.03e9); up != 1.03e9 || !slices.Equal(out, []int64{1e9, 1.02e9}) {
		t.Fatalf("releaseUntil(1.03s) = %v, released %v", up, out)
	}
	r.add(&packet{ts: 1.01e9, data: []byte{1}}) // came after the horizon: late
	if r.stats.Late != 1 || out[len(out)-1] != 1.01e9 {
		t.Fatalf("late packet: stats %+v, released %v", r.stats, out)
	}
}

// Holding and releasing packets allocates nothing once the buffers exist.
func TestReorderAllocs(t *testing.T) {
	n := 0
	r := newReorder(50*time.Millisecond, time.Hour, 1000, func(*packet) { n++ })
	data := make([]byte, 200)
	ts := int64(1e18)
	feed := func() {
		for k := range 64 { // jittered arrival
			r.add(&packet{ts: ts + int64((k*37)%64)*1e6, data: data})
		}
		ts += 64e6
	}
	for range 20 {
		feed()
	}
	if a := testing.AllocsPerRun(200, feed); a != 0 {
		t.Fatalf("%v allocations per 64 packets", a)
	}
}

func BenchmarkReorder(b *testing.B) {
	r := newReorder(100*time.Millisecond, time.Hour, 100000, func(*packet) {})
	data := make([]byte, 200)
	ts := int64(1e18)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		r.add(&packet{ts: ts + int64((i*7919)%1000)*1e5, data: data})
		ts += 1e5
	}
}

func BenchmarkReorderInOrder(b *testing.B) {
	r := newReorder(100*time.Millisecond, time.Hour, 100000, func(*packet) {})
	data := make([]byte, 200)
	ts := int64(1e18)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r.add(&packet{ts: ts, data: data})
		ts += 1e5
	}
}
