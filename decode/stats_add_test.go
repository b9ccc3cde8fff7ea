package decode

import (
	"reflect"
	"testing"
)

// Stats.Add sums word by word: every field must be a uint64 counter or an
// array of them.
func TestStatsAllCounters(t *testing.T) {
	typ := reflect.TypeOf(Stats{})
	for i := range typ.NumField() {
		f := typ.Field(i)
		k := f.Type
		if k.Kind() == reflect.Array {
			k = k.Elem()
		}
		if k.Kind() != reflect.Uint64 {
			t.Errorf("Stats.%s is %v: Add assumes uint64 counters only", f.Name, f.Type)
		}
	}
	a := Stats{Packets: 1, FlowResets: 2}
	a.ByReason[NumReasons-1] = 3
	b := a
	a.Add(&b)
	if a.Packets != 2 || a.FlowResets != 4 || a.ByReason[NumReasons-1] != 6 {
		t.Errorf("Add: %+v", a)
	}
}
