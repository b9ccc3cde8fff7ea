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

// MaxFragments bounds the fragments a Stream holds while their message is
// incomplete.
const MaxFragments = 32

// Stream reassembles the fragments (B/E bits) of one outbound stream. The
// fragments of a user message carry consecutive TSNs (RFC 9260 6.9), but
// they may reach a probe out of order: a fragment the receiver missed is
// retransmitted after later ones, and paths or aggregator ports differ.
// So fragments are held by TSN until a B..E run is complete, within the
// Dedup window; what can no longer complete (older than the window, or
// pushed out by MaxFragments newer ones) is dropped and reported. The zero
// value is ready; buffers are kept and reused.
type Stream struct {
	frags []frag // held fragments, any order
	buf   []byte // the last message put together
	hi    uint32 // newest TSN seen
	init  bool
}

type frag struct {
	tsn   uint32
	flags uint8
	b     []byte
	used  bool
}

// Add feeds one DATA chunk that is not a whole message. It returns the
// complete message once all its fragments are in; the result aliases the
// Stream's buffer and is valid until the next Add. The error reports
// fragments dropped by this call (an incomplete message given up), even
// when a message is returned too.
func (s *Stream) Add(d *Data) ([]byte, error) {
	var err error
	if !s.init || int32(d.TSN-s.hi) > 0 {
		s.hi, s.init = d.TSN, true
	}
	// Give up on what fell out of the window.
	for i := range s.frags {
		if f := &s.frags[i]; f.used && int32(s.hi-f.tsn) >= window {
			f.used, err = false, ErrReassembly
		}
	}
	if int32(s.hi-d.TSN) >= window {
		return nil, ErrReassembly
	}
	if s.find(d.TSN) >= 0 {
		return nil, err // a repeat (Dedup normally catches it first)
	}
	slot := s.slot()
	if slot < 0 { // full: the oldest goes
		slot = s.oldest()
		err = ErrReassembly
	}
	f := &s.frags[slot]
	f.tsn, f.flags, f.used = d.TSN, d.Flags, true
	f.b = append(f.b[:0], d.Payload...)

	// The run of consecutive TSNs around d, from a B to an E.
	first, n := d.TSN, 0
	for {
		i := s.find(first)
		if i < 0 {
			return nil, err // its beginning has not come (yet)
		}
		fl := s.frags[i].flags
		if fl&2 != 0 {
			break
		}
		if first != d.TSN && fl&1 != 0 {
			return nil, err // the end of the message before: d's beginning is missing
		}
		first--
	}
	size := 0
	for t := first; ; t++ {
		i := s.find(t)
		if i < 0 || t != first && s.frags[i].flags&2 != 0 {
			return nil, err // a gap, or the next message began
		}
		size += len(s.frags[i].b)
		n++
		if s.frags[i].flags&1 != 0 {
			break
		}
	}
	if size > MaxMessage {
		for t := first; n > 0; t, n = t+1, n-1 {
			s.frags[s.find(t)].used = false
		}
		return nil, ErrTooBig
	}
	s.buf = s.buf[:0]
	for t := first; n > 0; t, n = t+1, n-1 {
		f := &s.frags[s.find(t)]
		s.buf = append(s.buf, f.b...)
		f.used = false
	}
	return s.buf, err
}

func (s *Stream) find(tsn uint32) int {
	for i := range s.frags {
		if f := &s.frags[i]; f.used && f.tsn == tsn {
			return i
		}
	}
	return -1
}

// slot returns a free fragment slot, growing up to MaxFragments; -1 when full.
func (s *Stream) slot() int {
	for i := range s.frags {
		if !s.frags[i].used {
			return i
		}
	}
	if len(s.frags) < MaxFragments {
		s.frags = append(s.frags, frag{})
		return len(s.frags) - 1
	}
	return -1
}

func (s *Stream) oldest() int {
	o := 0
	for i := range s.frags {
		if int32(s.frags[i].tsn-s.frags[o].tsn) < 0 {
			o = i
		}
	}
	return o
}

// Cap reports the bytes the Stream's buffers hold on to.
func (s *Stream) Cap() int {
	n := cap(s.buf)
	for i := range s.frags {
		n += cap(s.frags[i].b)
	}
	return n
}

// Release drops the partial messages and the buffers.
func (s *Stream) Release() { *s = Stream{} }
