package sctp

// window is the number of recent TSNs remembered per direction.
const window = 1024

// Dedup remembers the recent TSNs of one direction of an association so a
// retransmitted DATA chunk is seen once. The zero value is ready.
type Dedup struct {
	init bool
	hi   uint32
	bits [window / 64]uint64
}

// Seen records tsn and reports whether it was already seen (or is older
// than the window, which for a capture means a late retransmission). A jump
// of more than 2^20 TSNs is taken as an association restart.
func (d *Dedup) Seen(tsn uint32) bool {
	if !d.init {
		*d = Dedup{init: true, hi: tsn}
		d.bits[0] = 1
		return false
	}
	delta := int32(tsn - d.hi)
	if delta > 1<<20 || delta < -(1<<20) {
		*d = Dedup{init: true, hi: tsn}
		d.bits[0] = 1
		return false
	}
	if delta > 0 {
		d.shift(uint32(delta))
		d.hi = tsn
		d.bits[0] |= 1
		return false
	}
	back := uint32(-delta)
	if back >= window {
		return true
	}
	w, m := back/64, uint64(1)<<(back%64)
	if d.bits[w]&m != 0 {
		return true
	}
	d.bits[w] |= m
	return false
}

// shift moves the bitmap so that bit i means TSN hi-i after hi += n.
func (d *Dedup) shift(n uint32) {
	if n >= window {
		d.bits = [window / 64]uint64{}
		return
	}
	words, rem := int(n/64), n%64
	for i := len(d.bits) - 1; i >= 0; i-- {
		var v uint64
		if j := i - words; j >= 0 {
			v = d.bits[j] << rem
			if rem != 0 && j-1 >= 0 {
				v |= d.bits[j-1] >> (64 - rem)
			}
		}
		d.bits[i] = v
	}
}

// MaxMessage bounds a reassembled user message (M3UA messages are far
// smaller; this caps memory per stream).
const MaxMessage = 1 << 16

// Stream reassembles the fragments (B/E bits) of one outbound stream. The
// zero value is ready; its buffer is kept and reused.
type Stream struct {
	buf     []byte
	active  bool
	nextTSN uint32
}

// Add feeds one DATA chunk that is not a whole message. It returns the
// complete message when d carries the E bit and all fragments were seen in
// TSN order; the result aliases the Stream's buffer and is valid until the
// next Add. A gap or out-of-order fragment drops the partial message.
func (s *Stream) Add(d *Data) ([]byte, error) {
	switch {
	case d.Begin():
		s.buf = append(s.buf[:0], d.Payload...)
		s.active = true
	case !s.active || d.TSN != s.nextTSN:
		s.active = false
		return nil, ErrReassembly
	default:
		if len(s.buf)+len(d.Payload) > MaxMessage {
			s.active = false
			return nil, ErrTooBig
		}
		s.buf = append(s.buf, d.Payload...)
	}
	s.nextTSN = d.TSN + 1
	if d.End() {
		s.active = false
		return s.buf, nil
	}
	return nil, nil
}
