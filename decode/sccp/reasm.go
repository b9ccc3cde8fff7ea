package sccp

// Slots is the number of XUDT reassemblies in progress at once.
const Slots = 64

// MaxReassembled bounds a reassembled XUDT (Q.714 allows 3952 octets).
const MaxReassembled = 4096

// Reassembler joins the segments of XUDT messages (Q.714 4.1.1.2). Buffers
// are kept and reused: after warm-up, Add does not allocate.
type Reassembler struct {
	slots [Slots]struct {
		key       uint64
		ref       uint32
		remaining uint8
		used      bool
		buf       []byte
	}
	next int
}

// Add feeds the data of one segmented XUDT. key identifies the sender (the
// caller hashes association and calling address); seg is its segmentation
// parameter. It returns the whole message after the last segment; the result
// aliases the Reassembler and is valid until the next Add.
func (r *Reassembler) Add(key uint64, seg Segmentation, data []byte) ([]byte, error) {
	if seg.First {
		// Take the slot of a restarted reference, else the first free one
		// (few are in use at once, so the same warm buffers serve), else
		// evict round-robin.
		i, free := -1, -1
		for k := range r.slots {
			sl := &r.slots[k]
			if sl.used && sl.key == key && sl.ref == seg.Ref {
				i = k
				break
			}
			if !sl.used && free < 0 {
				free = k
			}
		}
		switch {
		case i >= 0:
		case free >= 0:
			i = free
		default:
			i = r.next
			r.next = (r.next + 1) % Slots
		}
		s := &r.slots[i]
		s.key, s.ref, s.remaining, s.used = key, seg.Ref, seg.Remaining, true
		if s.buf == nil {
			s.buf = make([]byte, 0, MaxReassembled)
		}
		if len(data) > MaxReassembled {
			s.used = false
			return nil, ErrSegTooBig
		}
		s.buf = append(s.buf[:0], data...)
		if seg.Remaining == 0 {
			s.used = false
			return s.buf, nil
		}
		return nil, nil
	}
	for i := range r.slots {
		s := &r.slots[i]
		if !s.used || s.key != key || s.ref != seg.Ref {
			continue
		}
		if seg.Remaining+1 != s.remaining {
			s.used = false
			return nil, ErrSegment
		}
		if len(s.buf)+len(data) > MaxReassembled {
			s.used = false
			return nil, ErrSegTooBig
		}
		s.buf = append(s.buf, data...)
		s.remaining = seg.Remaining
		if seg.Remaining == 0 {
			s.used = false
			return s.buf, nil
		}
		return nil, nil
	}
	return nil, ErrSegment
}
