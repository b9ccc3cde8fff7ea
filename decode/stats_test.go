package decode

import (
	"reflect"
	"testing"
)

// TestStatsAddEveryField fills every counter of a Stats with a distinct
// value and checks Add carries each one over, so a counter added later
// cannot be forgotten there.
func TestStatsAddEveryField(t *testing.T) {
	var o Stats
	v := reflect.ValueOf(&o).Elem()
	n := uint64(1)
	var fill func(f reflect.Value)
	fill = func(f reflect.Value) {
		switch f.Kind() {
		case reflect.Uint64:
			f.SetUint(n)
			n++
		case reflect.Array:
			for i := 0; i < f.Len(); i++ {
				fill(f.Index(i))
			}
		default:
			t.Fatalf("Stats field of kind %v: extend this test and Add", f.Kind())
		}
	}
	for i := 0; i < v.NumField(); i++ {
		fill(v.Field(i))
	}
	var s Stats
	s.Add(&o)
	s.Add(&o)
	want := o
	wv := reflect.ValueOf(&want).Elem()
	var double func(f reflect.Value)
	double = func(f reflect.Value) {
		if f.Kind() == reflect.Array {
			for i := 0; i < f.Len(); i++ {
				double(f.Index(i))
			}
			return
		}
		f.SetUint(2 * f.Uint())
	}
	for i := 0; i < wv.NumField(); i++ {
		double(wv.Field(i))
	}
	if s != want {
		t.Fatalf("Add misses a field:\n got %+v\nwant %+v", s, want)
	}
}
