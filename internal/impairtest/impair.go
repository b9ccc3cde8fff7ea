package impairtest

import (
	"container/heap"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/pcapgo"
)

// Spec is what happens to a capture between the network and the probe.
// The zero Spec passes every packet unchanged.
type Spec struct {
	Seed uint64
	// Loss drops each packet with this probability.
	Loss float64
	// BurstRate starts a burst of loss at a packet with this probability;
	// a burst drops BurstLen packets in a row (a tap port flapping, an
	// aggregator's buffer overflowing).
	BurstRate float64
	BurstLen  int
	// Dup writes a packet twice with this probability (the same packet
	// mirrored by two SPAN sessions); the copy is stamped up to DupDelay
	// later than the original (default 100µs) and written in its turn.
	Dup      float64
	DupDelay time.Duration
	// Reorder delays each packet on its way by a random time up to Reorder
	// before it is written, keeping its timestamp: the capture time a tap
	// aggregator stamps on ingress, written in the order its output queue
	// releases the packets.
	Reorder time.Duration
	// PerLink makes the delay a property of the packet's link (its SCTP
	// association and direction, one aggregator port each) that changes
	// every few milliseconds: packets of one link keep their order, links
	// overtake each other.
	PerLink bool
	// Jump shifts the timestamps of the packets numbered in JumpFrames
	// (1-based, in the input) by Jump: a capture card's clock glitch.
	Jump       time.Duration
	JumpFrames []uint64
}

// Result is what Apply did.
type Result struct {
	In, Out, Lost, Duplicated, Jumped uint64
	// lost[f] is true when input frame f (1-based) was dropped.
	lost []bool
}

// Lost reports whether input frame f (1-based) was dropped.
func (r *Result) LostFrame(f uint64) bool { return f < uint64(len(r.lost)) && r.lost[f] }

// out is a packet waiting to be written: due is when it leaves the
// aggregator, seq keeps the input order between equal due times.
type out struct {
	due, seq int64
	ci       gopacket.CaptureInfo
	data     []byte
}

type queue []out

func (q queue) Len() int { return len(q) }
func (q queue) Less(i, j int) bool {
	return q[i].due < q[j].due || q[i].due == q[j].due && q[i].seq < q[j].seq
}
func (q queue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *queue) Push(x any)   { *q = append(*q, x.(out)) }
func (q *queue) Pop() any {
	o := (*q)[len(*q)-1]
	*q = (*q)[:len(*q)-1]
	return o
}

// link is one aggregator input port: its current queue delay, until when
// it holds, and the last departure (FIFO).
type link struct {
	delay, until, last int64
}

// Apply reads the pcap in, impairs it by s and writes the result to dst
// (a nanosecond pcap with in's link type).
func Apply(in, dst string, s Spec) (*Result, error) {
	f, err := os.Open(in)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", in, err)
	}
	o, err := os.Create(dst)
	if err != nil {
		return nil, err
	}
	defer o.Close()
	w := pcapgo.NewWriterNanos(o)
	if err := w.WriteFileHeader(65536, r.LinkType()); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(s.Seed, 0x1badcafe))
	jump := map[uint64]bool{}
	for _, fr := range s.JumpFrames {
		jump[fr] = true
	}
	dupDelay := int64(s.DupDelay)
	if dupDelay == 0 {
		dupDelay = int64(100 * time.Microsecond)
	}
	res := &Result{lost: []bool{false}}
	links := map[uint64]*link{}
	var q queue
	var seq int64
	burst := 0
	write := func(p out) error {
		res.Out++
		return w.WritePacket(p.ci, p.data)
	}
	delay := func(ts int64, data []byte) int64 {
		if s.Reorder <= 0 {
			return ts
		}
		if !s.PerLink {
			return ts + rng.Int64N(int64(s.Reorder)+1)
		}
		k := linkKey(data)
		l := links[k]
		if l == nil {
			l = &link{}
			links[k] = l
		}
		if ts >= l.until { // the port's queue changes every 1-10 ms
			l.delay = rng.Int64N(int64(s.Reorder) + 1)
			l.until = ts + int64(time.Millisecond) + rng.Int64N(int64(9*time.Millisecond))
		}
		l.last = max(l.last, ts+l.delay)
		return l.last
	}
	for {
		data, ci, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: packet %d: %w", in, res.In+1, err)
		}
		res.In++
		ts := ci.Timestamp.UnixNano()
		// Whatever cannot be overtaken any more leaves.
		for len(q) > 0 && q[0].due <= ts {
			if err := write(heap.Pop(&q).(out)); err != nil {
				return nil, err
			}
		}
		drop := false
		if burst > 0 {
			burst--
			drop = true
		} else if s.BurstRate > 0 && rng.Float64() < s.BurstRate {
			burst = s.BurstLen - 1
			drop = true
		}
		if !drop && s.Loss > 0 && rng.Float64() < s.Loss {
			drop = true
		}
		res.lost = append(res.lost, drop)
		if drop {
			res.Lost++
			continue
		}
		if jump[res.In] {
			ci.Timestamp = ci.Timestamp.Add(s.Jump)
			res.Jumped++
		}
		p := out{due: delay(ts, data), seq: seq, ci: ci, data: data}
		seq++
		heap.Push(&q, p)
		if s.Dup > 0 && rng.Float64() < s.Dup {
			d := rng.Int64N(dupDelay + 1)
			c := ci
			c.Timestamp = ci.Timestamp.Add(time.Duration(d))
			heap.Push(&q, out{due: p.due + d, seq: seq, ci: c, data: data})
			seq++
			res.Duplicated++
		}
	}
	for len(q) > 0 {
		if err := write(heap.Pop(&q).(out)); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// linkKey identifies a packet's link: its IPv4 addresses and ports (and
// so its SCTP association and direction) behind Ethernet and 802.1Q tags.
// Anything else is one link.
func linkKey(b []byte) uint64 {
	if len(b) < 14 {
		return 0
	}
	et, off := binary.BigEndian.Uint16(b[12:]), 14
	for et == 0x8100 && len(b) >= off+4 {
		et, off = binary.BigEndian.Uint16(b[off+2:]), off+4
	}
	if et != 0x0800 || len(b) < off+24 {
		return 0
	}
	ip := b[off:]
	hl := int(ip[0]&0xf) * 4
	if len(ip) < hl+4 {
		return 0
	}
	k := uint64(binary.BigEndian.Uint32(ip[12:]))<<32 | uint64(binary.BigEndian.Uint32(ip[16:]))
	return k ^ uint64(binary.BigEndian.Uint32(ip[hl:]))*0x9e3779b97f4a7c15
}
