package probe

import (
	"reflect"
	"slices"
	"testing"

	"github.com/sigprobe/sigprobe/decode"
)

// batchOf is worker w's batch of messages stamped ts, complete up to upTo.
func batchOf(w int, upTo int64, ts ...int64) *MsgBatch {
	b := getBatch()
	b.worker, b.upTo = w, upTo
	for _, t := range ts {
		b.Msgs = append(b.Msgs, decode.Message{TsNs: t, Frame: uint64(w)})
	}
	return b
}

func TestMerge(t *testing.T) {
	type step struct {
		b    *MsgBatch
		want []int64 // let through after this batch
	}
	for _, tc := range []struct {
		name  string
		steps []step
		end   []int64 // let through when the workers stop
		stats [2]uint64
	}{
		{"two workers interleave", []step{
			{batchOf(0, 30, 10, 20, 30), nil},                 // worker 1 has said nothing yet
			{batchOf(1, 25, 15, 25), []int64{10, 15, 20, 25}}, // worker 1 is complete up to 25
			{batchOf(1, 40), []int64{30}},                     // idle worker 1 moves on
		}, nil, [2]uint64{}},
		{"an idle worker's mark lets the other through", []step{
			{batchOf(1, 100), nil},
			{batchOf(0, 60, 50, 60), []int64{50, 60}},
		}, nil, [2]uint64{}},
		{"the rest goes when the workers stop", []step{
			{batchOf(0, 10, 5, 10), nil},
		}, []int64{5, 10}, [2]uint64{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newMerge(2, 1000)
			var got []int64
			handle := func(b *MsgBatch) {
				for i := range b.Msgs {
					got = append(got, b.Msgs[i].TsNs)
				}
				putBatch(b)
			}
			for i, s := range tc.steps {
				got = nil
				m.add(s.b)
				m.release(handle, false)
				if !slices.Equal(got, s.want) {
					t.Fatalf("step %d: let through %v, want %v", i, got, s.want)
				}
			}
			got = nil
			m.release(handle, true)
			if !slices.Equal(got, tc.end) {
				t.Fatalf("at the end: %v, want %v", got, tc.end)
			}
			if s := [2]uint64{m.Overflow, m.Late}; s != tc.stats {
				t.Fatalf("overflow, late = %v, want %v", s, tc.stats)
			}
		})
	}
	t.Run("a stalled worker holds the others back only so far", func(t *testing.T) {
		m := newMerge(2, 4)
		var got []int64
		handle := func(b *MsgBatch) {
			for i := range b.Msgs {
				got = append(got, b.Msgs[i].TsNs)
			}
			putBatch(b)
		}
		m.add(batchOf(0, 6, 1, 2, 3, 4, 5, 6))
		m.release(handle, false)
		if !slices.Equal(got, []int64{1, 2}) || m.Overflow != 2 {
			t.Fatalf("let through %v with %d overflowing; want the two beyond the bound of 4", got, m.Overflow)
		}
		m.add(batchOf(1, 0, 0)) // older than what went on
		m.release(handle, true)
		if m.Late != 1 {
			t.Fatalf("late %d, want 1", m.Late)
		}
	})
}

// Every metric is created with the set (none looked up later, none nil).
func TestMetricsAllCreated(t *testing.T) {
	m := newProbeMetrics([]string{"a"}, nil)
	v := reflect.ValueOf(m).Elem()
	for i := range v.NumField() {
		if f := v.Field(i); f.Kind() == reflect.Pointer && f.IsNil() {
			t.Errorf("metric %s is not created", v.Type().Field(i).Name)
		}
	}
}
