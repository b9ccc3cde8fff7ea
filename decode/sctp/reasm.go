package sctp

// window is the number of recent TSNs remembered per direction.
const window = 1024

// Dedup remembers the recent TSNs of one direction of an association so a
// retransmitted DATA chunk is seen once. The zero value is ready. Bits are a
// ring indexed by TSN modulo the window.
type Dedup struct {
	init bool
	hi   uint32
	bits [window / 64]uint64
}

func (d *Dedup) reset(tsn uint32) {
	*d = Dedup{init: true, hi: tsn}
	d.set(tsn)
}

func (d *Dedup) set(t uint32)        { d.bits[t/64%(window/64)] |= 1 << (t % 64) }
func (d *Dedup) isSet(t uint32) bool { return d.bits[t/64%(window/64)]&(1<<(t%64)) != 0 }

// Seen records tsn and reports whether it was already seen (or is older
// than the window, which for a capture means a late retransmission). A jump
// of more than 2^20 TSNs is taken as an association restart.
func (d *Dedup) Seen(tsn uint32) bool {
	if !d.init {
		d.reset(tsn)
		return false
	}
	delta := int32(tsn - d.hi)
	switch {
	case delta > 1<<20 || delta < -(1<<20):
		d.reset(tsn)
		return false
	case delta > 0:
		if delta >= window {
			d.bits = [window / 64]uint64{}
		} else {
			for t := d.hi + 1; t != tsn; t++ { // forget what the ring reuses
				d.bits[t/64%(window/64)] &^= 1 << (t % 64)
			}
		}
		d.hi = tsn
		d.bits[tsn/64%(window/64)] &^= 1 << (tsn % 64)
		d.set(tsn)
		return false
	case -delta >= window:
		return true
	case d.isSet(tsn):
		return true
	}
	d.set(tsn)
	return false
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

// Cap reports the bytes the Stream's buffer holds on to.
func (s *Stream) Cap() int { return cap(s.buf) }

// Release drops the partial message and the buffer.
func (s *Stream) Release() { s.buf, s.active = nil, false }
