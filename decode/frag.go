package decode

import "github.com/gopacket/gopacket/layers"

const fragSlots = 16

// fragTable reassembles fragmented IPv4 datagrams. Buffers are kept per slot
// so steady state does not allocate. Overlapping fragments are not merged
// (they do not occur from a sane stack); the datagram completes when the
// bytes received add up to its length.
type fragTable struct {
	slots [fragSlots]struct {
		used     bool
		src, dst [4]byte
		id       uint16
		got      int
		total    int // 0 until the last fragment is seen
		buf      []byte
	}
	next int
}

const maxDatagram = 65535

func (t *fragTable) add(ip *layers.IPv4) ([]byte, error) {
	var src, dst [4]byte
	copy(src[:], ip.SrcIP)
	copy(dst[:], ip.DstIP)
	off := int(ip.FragOffset) * 8
	more := ip.Flags&layers.IPv4MoreFragments != 0
	p := ip.Payload
	if off+len(p) > maxDatagram {
		return nil, ErrIPFragment
	}
	i := -1
	for k := range t.slots {
		s := &t.slots[k]
		if s.used && s.id == ip.Id && s.src == src && s.dst == dst {
			i = k
			break
		}
	}
	if i < 0 {
		i = t.next
		t.next = (t.next + 1) % fragSlots
		s := &t.slots[i]
		s.used, s.src, s.dst, s.id, s.got, s.total = true, src, dst, ip.Id, 0, 0
		if cap(s.buf) < maxDatagram {
			s.buf = make([]byte, maxDatagram)
		}
	}
	s := &t.slots[i]
	copy(s.buf[off:], p)
	s.got += len(p)
	if !more {
		s.total = off + len(p)
	}
	if s.total > 0 && s.got >= s.total {
		s.used = false
		return s.buf[:s.total], nil
	}
	return nil, nil
}
