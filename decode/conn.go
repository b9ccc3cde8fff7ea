package decode

// connSlots is the size of the table of SCCP connections whose user is out
// of scope (RANAP on Iu-CS, SSN 142): their DT1s carry no subsystem number,
// and a RANAP PDU can look like BSSAP framing by chance.
const connSlots = 4096

// connTable remembers local references of out-of-scope SCCP connections, per
// association, in a fixed open-addressed array (no allocation; the oldest
// entries are overwritten when a probe sequence is full).
type connTable struct {
	keys [connSlots]uint64
}

func connKey(assoc uint64, ref uint32) uint64 {
	k := mix64(assoc ^ uint64(ref)<<8 ^ 0x5bd1e995)
	if k == 0 {
		k = 1
	}
	return k
}

const connProbe = 8

func (t *connTable) add(assoc uint64, ref uint32) {
	k := connKey(assoc, ref)
	i := k % connSlots
	for n := uint64(0); n < connProbe; n++ {
		j := (i + n) % connSlots
		if t.keys[j] == 0 || t.keys[j] == k {
			t.keys[j] = k
			return
		}
	}
	t.keys[i] = k
}

func (t *connTable) has(assoc uint64, ref uint32) bool {
	k := connKey(assoc, ref)
	i := k % connSlots
	for n := uint64(0); n < connProbe; n++ {
		switch t.keys[(i+n)%connSlots] {
		case k:
			return true
		case 0:
			return false
		}
	}
	return false
}

func (t *connTable) del(assoc uint64, ref uint32) {
	k := connKey(assoc, ref)
	i := k % connSlots
	for n := uint64(0); n < connProbe; n++ {
		j := (i + n) % connSlots
		if t.keys[j] == k {
			t.keys[j] = 1 // tombstone: keeps later probes reachable
			return
		}
	}
}
