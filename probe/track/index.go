package track

import "github.com/sigprobe/sigprobe/sink"

// subIndex maps an IMSI to its position in State.subs: open addressing with
// linear probing over int32 slots (the key is read from the subscriber
// itself), 4 bytes a slot at a load of at most 3/4 — a Go map would cost
// five times that per subscriber.
type subIndex struct {
	slots []int32 // subscriber index + 1; 0 is empty
	n     int
	mask  uint64
}

func hashDigits(d sink.Digits) uint64 {
	x := uint64(d)
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	return x ^ x>>33
}

// get returns the index of imsi in subs, or -1.
func (ix *subIndex) get(subs []subState, imsi sink.Digits) int32 {
	if ix.n == 0 {
		return -1
	}
	for h := hashDigits(imsi) & ix.mask; ; h = (h + 1) & ix.mask {
		v := ix.slots[h]
		if v == 0 {
			return -1
		}
		if subs[v-1].imsi == imsi {
			return v - 1
		}
	}
}

// put records that imsi is at subs[i] (imsi must not be present).
func (ix *subIndex) put(subs []subState, imsi sink.Digits, i int32) {
	if (ix.n+1)*4 > len(ix.slots)*3 {
		ix.grow(subs)
	}
	for h := hashDigits(imsi) & ix.mask; ; h = (h + 1) & ix.mask {
		if ix.slots[h] == 0 {
			ix.slots[h] = i + 1
			ix.n++
			return
		}
	}
}

func (ix *subIndex) grow(subs []subState) {
	size := max(1024, 2*len(ix.slots))
	ix.slots = make([]int32, size)
	ix.mask = uint64(size - 1)
	ix.n = 0
	for i := range subs {
		if subs[i].imsi != 0 {
			ix.put(subs, subs[i].imsi, int32(i))
		}
	}
}
