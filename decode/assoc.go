package decode

import (
	"encoding/binary"

	"github.com/sigprobe/sigprobe/decode/sctp"
)

// SCTP associations across their paths.
//
// A multi-homed association sends over several address pairs (RFC 9260
// 6.4), and a retransmission may take another path than the original, so
// an association is identified by its verification tags and ports, not by
// an address pair. Each direction of an association carries one tag — the
// receiver's (RFC 9260 8.5) — on every path. A Stack keeps
//
//	tags:  (source port, destination port, tag) → that direction's flow
//	paths: address pair and ports → the association last seen on it
//
// A packet whose tag is known belongs to that tag's direction, whatever
// path it took. A new tag on a known path is the direction of the path's
// association not seen yet, or, when that direction already has a tag, a
// new association on the same addresses (a restart, or a later one). INIT
// and INIT ACK name both tags at once; other control chunks (SACK,
// HEARTBEAT...) teach the tag of their direction too, so the first DATA on
// a second path is recognised. ABORT and SHUTDOWN COMPLETE with the T bit
// carry the sender's own tag and teach nothing.
//
// Message.Assoc is the path key of the address pair an association was
// first seen on, and Dir which side sent: single-homed traffic keeps the
// key it always had. Should an association's two directions first show up
// on different paths (their first packets raced), they start as two; the
// first packet of one on the other's path joins it to the other's.
//
// Two associations that draw the same tag on the same ports would be taken
// for one: tags are 32 random bits, so that needs tens of thousands of
// associations between the same ports. Should both directions of one
// association carry the same tag between equal ports, the address order of
// each path tells them apart (on a further path, which is which follows its
// first packet).

// MaxFlows bounds the tags and paths a Stack remembers; when full it forgets
// them all (Stats.FlowResets).
const MaxFlows = 1 << 16

// assocState is one association: the flows of its two directions (nil until
// seen) and its Message.Assoc key.
type assocState struct {
	id   uint64
	dirs [2]*flow
}

// flow is one direction of an association: duplicate detection and stream
// reassembly, shared by all paths.
type flow struct {
	a       *assocState
	dir     uint8
	dedup   sctp.Dedup
	streams map[uint16]*sctp.Stream
}

type tagKey struct {
	ports uint32 // source port << 16 | destination port
	vtag  uint32
}

// pathEntry is the association last seen on a path; flip maps the path's
// direction (by address order) to the association's.
type pathEntry struct {
	a    *assocState
	flip uint8
}

// cacheKey is a path, one of its directions and a tag: what a packet says.
type cacheKey struct {
	path uint64
	vtag uint32
	pdir uint8
}

const flowCache = 256

type cachedFlow struct {
	k cacheKey
	f *flow
}

type assocTable struct {
	tags  map[tagKey]*flow
	paths map[uint64]pathEntry
	cache [flowCache]cachedFlow // direct-mapped, in front of tags and paths
}

func (t *assocTable) init() {
	t.tags = make(map[tagKey]*flow)
	t.paths = make(map[uint64]pathEntry)
}

// pathKey hashes an address pair and ports so both directions give the same
// key; pdir is 0 when the source is the lower endpoint.
func pathKey(src, dst []byte, sp, dp uint16) (uint64, uint8) {
	a, b, ap, bp, dir := src, dst, sp, dp, uint8(0)
	if c := cmpEndpoint(src, sp, dst, dp); c > 0 {
		a, b, ap, bp, dir = dst, src, dp, sp, 1
	}
	if len(a) == 4 && len(b) == 4 {
		x := uint64(binary.BigEndian.Uint32(a))<<32 | uint64(binary.BigEndian.Uint32(b))
		y := uint64(ap)<<16 | uint64(bp)
		return mix64(x ^ mix64(y+0x9e3779b97f4a7c15)), dir
	}
	h := uint64(14695981039346656037)
	mix := func(x byte) { h ^= uint64(x); h *= 1099511628211 }
	for _, x := range a {
		mix(x)
	}
	mix(byte(ap >> 8))
	mix(byte(ap))
	for _, x := range b {
		mix(x)
	}
	mix(byte(bp >> 8))
	mix(byte(bp))
	return h, dir
}

// mix64 is the splitmix64 finalizer.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

func cmpEndpoint(a []byte, ap uint16, b []byte, bp uint16) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	switch {
	case ap < bp:
		return -1
	case ap > bp:
		return 1
	}
	return 0
}

// flowOf returns the flow of a packet sent in direction pdir of path with
// ports sp→dp and tag vtag, learning the tag and the path as needed.
func (s *Stack) flowOf(path uint64, pdir uint8, sp, dp uint16, vtag uint32) *flow {
	t := &s.assocs
	k := cacheKey{path, vtag, pdir}
	slot := &t.cache[(path^uint64(vtag)^uint64(pdir))%flowCache]
	if slot.f != nil && slot.k == k {
		return slot.f
	}
	f := s.learnTag(path, pdir, tagKey{uint32(sp)<<16 | uint32(dp), vtag})
	slot.k, slot.f = k, f
	return f
}

func (s *Stack) learnTag(path uint64, pdir uint8, tk tagKey) *flow {
	t := &s.assocs
	if f := t.tags[tk]; f != nil {
		pe, ok := t.paths[path]
		switch {
		case !ok:
			s.Stats.Paths++ // a further path of f's association
		case pe.a == f.a:
			if d := pdir ^ pe.flip; d != f.dir {
				// Both directions carry the same tag (and the ports are
				// equal both ways): on a known path its order tells them
				// apart.
				if f.a.dirs[d] == nil {
					f.a.dirs[d] = &flow{a: f.a, dir: d}
				}
				return f.a.dirs[d]
			}
			return f
		case pe.a.dirs[pdir^pe.flip] == nil && pe.a.dirs[1-(pdir^pe.flip)] != nil && f.a.dirs[1-f.dir] == nil:
			// The path's association has only the direction f's lacks: the
			// two directions first showed up on different paths. f joins
			// the association of the path it is on now, whose key its other
			// direction has been reported with (and which is the right one
			// should f's first packet have had a corrupted address).
			f.a.dirs[f.dir] = nil
			f.a, f.dir = pe.a, pdir^pe.flip
			pe.a.dirs[f.dir] = f
			return f
		}
		t.paths[path] = pathEntry{f.a, pdir ^ f.dir}
		return f
	}
	if len(t.tags) >= MaxFlows || len(t.paths) >= MaxFlows {
		s.resetFlows()
	}
	var a *assocState
	dir := pdir
	if pe, ok := t.paths[path]; ok && pe.a.dirs[pdir^pe.flip] == nil {
		a, dir = pe.a, pdir^pe.flip
	} else {
		a = &assocState{id: path}
		t.paths[path] = pathEntry{a, 0}
	}
	f := &flow{a: a, dir: dir}
	a.dirs[dir] = f
	t.tags[tk] = f
	return f
}

// peerTag records tag as the one the direction opposite to f carries, with
// ports sp→dp (an INIT or INIT ACK named it).
func (s *Stack) peerTag(f *flow, sp, dp uint16, tag uint32) {
	t := &s.assocs
	tk := tagKey{uint32(sp)<<16 | uint32(dp), tag}
	if t.tags[tk] != nil {
		return
	}
	if len(t.tags) >= MaxFlows {
		s.resetFlows()
		return
	}
	g := &flow{a: f.a, dir: 1 - f.dir}
	f.a.dirs[g.dir] = g
	t.tags[tk] = g
}

// learnControl learns what a packet without DATA says about tags: INIT
// starts an association on its path and names the tag of the reverse
// direction; INIT ACK carries the initiator's tag and names the
// responder's; other chunks teach their own direction's tag.
func (s *Stack) learnControl(path uint64, pdir uint8, p *sctp.Packet) {
	switch {
	case p.Init == sctp.ChunkINIT:
		t := &s.assocs
		if t.tags[tagKey{uint32(p.DstPort)<<16 | uint32(p.SrcPort), p.InitTag}] != nil {
			return // a retransmitted INIT
		}
		if len(t.tags) >= MaxFlows || len(t.paths) >= MaxFlows {
			s.resetFlows()
		}
		a := &assocState{id: path}
		t.paths[path] = pathEntry{a, 0}
		f := &flow{a: a, dir: pdir} // the initiator's direction, tag not known yet
		s.peerTag(f, p.DstPort, p.SrcPort, p.InitTag)
	case p.VTag == 0 || p.Reflects:
	case p.Init == sctp.ChunkINITACK:
		f := s.flowOf(path, pdir, p.SrcPort, p.DstPort, p.VTag)
		s.peerTag(f, p.DstPort, p.SrcPort, p.InitTag)
	default:
		s.flowOf(path, pdir, p.SrcPort, p.DstPort, p.VTag)
	}
}

// resetFlows forgets every tag and path (and the reassembly they hold).
func (s *Stack) resetFlows() {
	t := &s.assocs
	clear(t.tags)
	clear(t.paths)
	t.cache = [flowCache]cachedFlow{}
	s.held = 0
	s.Stats.FlowResets++
}
