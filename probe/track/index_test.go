package track

import (
	"math/rand/v2"
	"testing"
)

// The TMSI index against a map: sets, gets and expiry in random order,
// with a table small enough that probe chains wrap around its end, and
// the same TMSIs allocated by three VLRs to different subscribers; half way
// through a 300th VLR appears and the VLR column widens to two bytes.
func TestTMSIIndex(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var ix tmsiIndex
	type ent struct {
		pos int32
		ts  int64
	}
	want := map[tmsiKey]ent{}
	now := int64(1790812800e9)
	for step := range 200_000 {
		now += int64(rng.IntN(20)) * 60e9
		vlr := uint16(rng.IntN(3))
		if step >= 100_000 && vlr == 2 {
			vlr = 300
		}
		k := mkTMSIKey(vlr, uint32(rng.IntN(1000)+1)) // few keys: many updates
		switch rng.IntN(10) {
		case 0:
			n := ix.expire(now)
			dropped := uint64(0)
			for tm, e := range want {
				if now/periodNs-e.ts/periodNs > periodsKept {
					delete(want, tm)
					dropped++
				}
			}
			if n != dropped {
				t.Fatalf("step %d: expire dropped %d, want %d", step, n, dropped)
			}
		case 1, 2, 3:
			got := ix.get(k, now)
			e, ok := want[k]
			if !ok && got != -1 || ok && got != e.pos {
				t.Fatalf("step %d: get(%d) = %d, want %v %v", step, k, got, e, ok)
			}
			if ok {
				want[k] = ent{e.pos, now}
			}
		default:
			pos := int32(rng.IntN(1 << 20))
			changed := ix.set(k, pos, now, 0)
			e, ok := want[k]
			if changed != (!ok || e.pos != pos) {
				t.Fatalf("step %d: set(%d, %d) reported %v", step, k, pos, changed)
			}
			want[k] = ent{pos, now}
		}
		if ix.n != len(want) {
			t.Fatalf("step %d: %d mappings, want %d", step, ix.n, len(want))
		}
	}
	if ix.vlr16 == nil || ix.vlr8 != nil {
		t.Fatal("VLR 300 did not widen the VLR column")
	}
	ix.each(func(tm tmsiKey, pos int32, _ uint8) {
		if want[tm].pos != pos {
			t.Fatalf("each: %d -> %d, want %d", tm, pos, want[tm].pos)
		}
	})
}
