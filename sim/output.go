package sim

import (
	"bufio"
	"io"
	"strconv"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/sigprobe/sigprobe/sim/wire"
)

// link is one SCTP association between two signaling end points; side a is
// the BSC (A-interface) or the core node (toward the STP), side b its peer.
type link struct {
	a, b     wire.Endpoint
	opc      [2]uint32 // point code of side a, side b
	vlan     uint16
	vtag     [2]uint32 // verification tag each side expects
	tsn      [2]uint32 // next TSN sent by side a, side b
	acked    [2]uint32 // last TSN of the peer's that this side has acknowledged
	ssn      [2][5]uint16
	ipID     [2]uint16
	maxChunk int
	ni       uint8
	core     bool // toward the STP: MAP
}

// row is one signaling message (BSSMAP, DTAP or MAP) for messages.csv and the dwell truth.
type row struct {
	sub    int32 // owner, -1 none
	proto  uint8
	pd     uint8 // DTAP protocol discriminator
	typ    uint8
	comp   uint8 // MAP component kind
	carry  uint8 // identities carried by the message
	tmsi   uint32
	nlac   uint8
	nci    uint8
	lac    [4]uint16
	ci     [4]uint16
	obs    int32  // cell this message shows the subscriber in, -1 none
	conn   uint32 // the SCCP connection it travels on, 0 none
	nrand  uint8
	rands  [5]uint64 // RANDs carried (first 8 octets): Authentication Request, sendAuthenticationInfo result
	detach bool
	noOp   bool // a MAP result without a parameter carries no operation code
	reveal bool // the dialogue ties the subscriber's MSISDN to its IMSI here
	mk     mark // the event this message tells (events.csv)
	name   string
}

const (
	protoBSSMAP = 1
	protoDTAP   = 2
	protoMAP    = 3
)

const (
	cIMSI = 1 << iota
	cMSISDN
	cIMEI
	cIMEISV
	cTMSI
)

// pending is a queued SCCP message waiting for its time on the wire.
type pending struct {
	ts     int64
	seq    uint64
	link   int32
	dir    uint8
	sls    uint8
	nrows  uint8
	silent int32 // >= 0: marker that this subscriber went silent (no bytes)
	rows   [2]row
	buf    []byte
}

// output turns queued messages into pcap packets, messages.csv rows and dwell truth.
type output struct {
	links   []link
	window  int64
	pw      *pcapgo.Writer
	bw      *bufio.Writer
	msgs    *bufio.Writer
	dwell   *bufio.Writer
	subs    []subscriber
	nw      *network
	heap    []*pending
	free    []*pending
	seq     uint64
	frame   uint64
	lastTS  int64
	pkt     wire.Packet
	m3ua    []byte
	line    []byte
	dCell   []int32
	dStart  []int64
	dLast   []int64
	dSilent []bool // went silent without detaching; not yet decided whether knowably
	silence int64  // a silence longer than this is knowable (1.05 × T3212)
	aOnly   bool   // the tap does not see the core links (transport.capture_map false)
	nMsgs   uint64
	nDwell  uint64
	nBytes  uint64

	// events.csv: call legs in progress and when each subscriber's MSISDN
	// was first tied to its IMSI (ns, 0 never).
	events     *bufio.Writer
	legs       []callLeg
	legFree    []int32
	revealedAt []int64
	nEvents    uint64
	// onDwell, when set, is told of every new dwell (the marketing model
	// watches region entries).
	onDwell func(sub, cell, prev int32, ts int64)
	until   int64 // the clock: flush writes what is due before it
}

func newOutput(pcap, msgs, dwell, events io.Writer, nw *network, subs []subscriber, window time.Duration) (*output, error) {
	o := &output{links: nw.links, nw: nw, subs: subs, window: int64(window)}
	o.bw = bufio.NewWriterSize(pcap, 1<<20)
	o.pw = pcapgo.NewWriterNanos(o.bw)
	if err := o.pw.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		return nil, err
	}
	o.msgs = bufio.NewWriterSize(msgs, 1<<20)
	o.dwell = bufio.NewWriterSize(dwell, 1<<16)
	o.events = newEventsWriter(bufio.NewWriterSize(events, 1<<16))
	o.revealedAt = make([]int64, len(subs))
	o.msgs.WriteString("frame,ts_ns,imsi,proto,pd,type,comp,name,msg_imsi,tmsi,imei,imeisv,msisdn,lac,ci,cell,conn,rand\n")
	o.dwell.WriteString("imsi,lac,ci,start_ts,end_ts\n")
	o.dCell = make([]int32, len(subs))
	for i := range o.dCell {
		o.dCell[i] = -1
	}
	o.dStart = make([]int64, len(subs))
	o.dLast = make([]int64, len(subs))
	o.dSilent = make([]bool, len(subs))
	o.silence = int64(nw.sc.Network.T3212Minutes) * 63 * sec // 1.05 × T3212
	o.aOnly = !nw.sc.Transport.CaptureMAP
	return o, nil
}

// msg returns an empty pending message; fill buf and rows, then push it.
func (o *output) msg(ts int64, l int, dir uint8, sls uint8) *pending {
	var p *pending
	if n := len(o.free); n > 0 {
		p = o.free[n-1]
		o.free = o.free[:n-1]
	} else {
		p = &pending{buf: make([]byte, 0, 512)}
	}
	o.seq++
	*p = pending{ts: ts, seq: o.seq, link: int32(l), dir: dir, sls: sls, silent: -1, buf: p.buf[:0]}
	return p
}

func (p *pending) add(r row) *row {
	p.rows[p.nrows] = r
	p.nrows++
	return &p.rows[p.nrows-1]
}

func (o *output) less(a, b *pending) bool {
	return a.ts < b.ts || a.ts == b.ts && a.seq < b.seq
}

func (o *output) push(p *pending) {
	h := append(o.heap, p)
	i := len(h) - 1
	for i > 0 {
		j := (i - 1) / 2
		if !o.less(h[i], h[j]) {
			break
		}
		h[i], h[j] = h[j], h[i]
		i = j
	}
	o.heap = h
}

func (o *output) pop() *pending {
	h := o.heap
	top := h[0]
	n := len(h) - 1
	h[0] = h[n]
	h = h[:n]
	i := 0
	for {
		l, r, m := 2*i+1, 2*i+2, i
		if l < n && o.less(h[l], h[m]) {
			m = l
		}
		if r < n && o.less(h[r], h[m]) {
			m = r
		}
		if m == i {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	o.heap = h
	return top
}

// silent queues the marker that sub's phone went silent at ts.
func (o *output) silent(ts int64, sub int32) {
	p := o.msg(ts, 0, 0, 0)
	p.silent = sub
	o.push(p)
}

// flush writes every queued message earlier than t.
func (o *output) flush(t int64) error {
	o.until = t
	for len(o.heap) > 0 && o.heap[0].ts < t {
		if err := o.writeNext(); err != nil {
			return err
		}
	}
	return nil
}

// writeNext writes the earliest message, bundling later ones of the same
// link and direction that fall within the bundling window.
func (o *output) writeNext() error {
	p := o.pop()
	if p.silent >= 0 {
		// Whether the silence is knowable is decided by how long it lasts:
		// see observe and close.
		if o.dCell[p.silent] >= 0 {
			o.dSilent[p.silent] = true
		}
		o.free = append(o.free, p)
		return nil
	}
	l := &o.links[p.link]
	if l.core && o.aOnly {
		// Not on the tap: neither in the capture nor in messages.csv. MAP
		// shows no cell, so the dwell truth is the same.
		o.free = append(o.free, p)
		return nil
	}
	src, dst := l.a, l.b
	if p.dir == 1 {
		src, dst = dst, src
	}
	d := p.dir
	o.m3ua = wire.M3UAData(o.m3ua[:0], l.opc[d], l.opc[1-d], 3, l.ni, 0, p.sls, p.buf)
	if len(o.m3ua) > l.maxChunk {
		return o.writeFragments(p, l, src, dst)
	}
	o.pkt.Reset(src, dst, l.vlan, l.vtag[1-d], l.ipID[d])
	l.ipID[d]++
	o.sack(l, d)
	o.addData(l, d, p, wire.ChunkB|wire.ChunkE, o.m3ua)
	batch := [8]*pending{p}
	n := 1
	for n < len(batch) && len(o.heap) > 0 {
		q := o.heap[0]
		if q.silent >= 0 || q.link != p.link || q.dir != p.dir || q.ts-p.ts > o.window {
			break
		}
		o.m3ua = wire.M3UAData(o.m3ua[:0], l.opc[d], l.opc[1-d], 3, l.ni, 0, q.sls, q.buf)
		if o.pkt.Len()+len(o.m3ua)+16 > 1400 || len(o.m3ua) > l.maxChunk {
			break
		}
		o.pop()
		o.addData(l, d, q, wire.ChunkB|wire.ChunkE, o.m3ua)
		batch[n] = q
		n++
	}
	ts := batch[n-1].ts
	if err := o.writePacket(ts); err != nil {
		return err
	}
	for _, q := range batch[:n] {
		o.record(q, ts)
	}
	return nil
}

func (o *output) writeFragments(p *pending, l *link, src, dst wire.Endpoint) error {
	d := p.dir
	data := o.m3ua
	stream := 1 + uint16(p.sls%4)
	ssn := l.ssn[d][stream]
	l.ssn[d][stream]++
	ts := p.ts
	for off := 0; off < len(data); off += l.maxChunk {
		end := min(off+l.maxChunk, len(data))
		var flags uint8
		if off == 0 {
			flags |= wire.ChunkB
		}
		if end == len(data) {
			flags |= wire.ChunkE
		}
		o.pkt.Reset(src, dst, l.vlan, l.vtag[1-d], l.ipID[d])
		l.ipID[d]++
		if off == 0 {
			o.sack(l, d)
		}
		o.pkt.AddData(flags, l.tsn[d], stream, ssn, wire.PPIDM3UA, data[off:end])
		l.tsn[d]++
		if err := o.writePacket(ts); err != nil {
			return err
		}
		ts += 20_000 // 20 µs between fragments on the wire
	}
	o.record(p, ts-20_000)
	return nil
}

// sack bundles an acknowledgement of everything the peer sent so far.
func (o *output) sack(l *link, d uint8) {
	peerLast := l.tsn[1-d] - 1
	if l.acked[d] != peerLast {
		o.pkt.AddSACK(peerLast, 65536)
		l.acked[d] = peerLast
	}
}

func (o *output) addData(l *link, d uint8, p *pending, flags uint8, data []byte) {
	stream := 1 + uint16(p.sls%4)
	o.pkt.AddData(flags, l.tsn[d], stream, l.ssn[d][stream], wire.PPIDM3UA, data)
	l.tsn[d]++
	l.ssn[d][stream]++
}

func (o *output) writePacket(ts int64) error {
	b := o.pkt.Bytes()
	o.frame++
	o.lastTS = ts
	o.nBytes += uint64(len(b))
	return o.pw.WritePacket(gopacket.CaptureInfo{Timestamp: time.Unix(0, ts), CaptureLength: len(b), Length: len(b)}, b)
}

// record writes p's rows to messages.csv and advances the dwell truth.
func (o *output) record(p *pending, ts int64) {
	for i := range p.nrows {
		r := &p.rows[i]
		o.writeRow(r, ts)
		o.event(r, ts)
		if r.sub >= 0 && r.obs >= 0 {
			o.observe(r.sub, r.obs, ts)
		}
		if r.detach {
			o.closeDwell(r.sub, ts)
		}
	}
	o.free = append(o.free, p)
}

var protoNames = [...]string{"", "bssmap", "dtap", "map"}
var compNames = [...]string{"", "invoke", "result", "error"}

func (o *output) writeRow(r *row, ts int64) {
	o.nMsgs++
	b := o.line[:0]
	b = strconv.AppendUint(b, o.frame, 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, ts, 10)
	b = append(b, ',')
	var s *subscriber
	if r.sub >= 0 {
		s = &o.subs[r.sub]
		b = append(b, s.imsi...)
	}
	b = append(b, ',')
	b = append(b, protoNames[r.proto]...)
	b = append(b, ',')
	if r.proto == protoDTAP {
		b = strconv.AppendUint(b, uint64(r.pd), 10)
	}
	b = append(b, ',')
	if !r.noOp {
		b = strconv.AppendUint(b, uint64(r.typ), 10)
	}
	b = append(b, ',')
	b = append(b, compNames[r.comp]...)
	b = append(b, ',')
	b = append(b, r.name...)
	b = append(b, ',')
	if r.carry&cIMSI != 0 {
		b = append(b, s.imsi...)
	}
	b = append(b, ',')
	if r.carry&cTMSI != 0 {
		b = appendHex32(b, r.tmsi)
	}
	b = append(b, ',')
	if r.carry&cIMEI != 0 {
		b = append(b, s.imei...)
	}
	b = append(b, ',')
	if r.carry&cIMEISV != 0 {
		b = append(b, s.imeisv...)
	}
	b = append(b, ',')
	if r.carry&cMSISDN != 0 {
		b = append(b, s.msisdn...)
	}
	b = append(b, ',')
	for i := range r.nlac {
		if i > 0 {
			b = append(b, ';')
		}
		b = strconv.AppendUint(b, uint64(r.lac[i]), 10)
	}
	b = append(b, ',')
	for i := range r.nci {
		if i > 0 {
			b = append(b, ';')
		}
		b = strconv.AppendUint(b, uint64(r.ci[i]), 10)
	}
	b = append(b, ',')
	if r.obs >= 0 {
		c := o.nw.cells[r.obs].cgi
		b = strconv.AppendUint(b, uint64(c.LAI.LAC), 10)
		b = append(b, '-')
		b = strconv.AppendUint(b, uint64(c.CI), 10)
	}
	b = append(b, ',')
	if r.conn != 0 {
		b = strconv.AppendUint(b, uint64(r.conn), 10)
	}
	b = append(b, ',')
	for k := range r.nrand {
		if k > 0 {
			b = append(b, ';')
		}
		b = strconv.AppendUint(b, r.rands[k], 16)
	}
	b = append(b, '\n')
	o.msgs.Write(b)
	o.line = b
}

func appendHex32(b []byte, v uint32) []byte {
	const hex = "0123456789abcdef"
	for s := 28; s >= 0; s -= 4 {
		b = append(b, hex[(v>>uint(s))&0xf])
	}
	return b
}

// observe: sub was seen in cell c at ts.
func (o *output) observe(sub, c int32, ts int64) {
	if o.dSilent[sub] {
		// Back after going silent. A silence longer than T3212 (plus the
		// guard) is knowable: no periodic update came, so the dwell ended at
		// the last message. A shorter one looks like an idle phone.
		o.dSilent[sub] = false
		if ts-o.dLast[sub] > o.silence {
			o.implicitDetach(sub, o.dLast[sub])
			o.closeDwell(sub, o.dLast[sub])
		}
	}
	if o.dCell[sub] != c {
		if o.dCell[sub] >= 0 {
			o.writeDwell(sub, ts)
		}
		prev := o.dCell[sub]
		o.dCell[sub], o.dStart[sub] = c, ts
		if o.onDwell != nil {
			o.onDwell(sub, c, prev, ts)
		}
	}
	o.dLast[sub] = ts
}

// closeDwell ends sub's open dwell at end (IMSI detach, or its last message before going silent).
func (o *output) closeDwell(sub int32, end int64) {
	if o.dCell[sub] >= 0 {
		o.writeDwell(sub, end)
		o.dCell[sub] = -1
	}
	o.dSilent[sub] = false
}

func (o *output) writeDwell(sub int32, end int64) {
	o.nDwell++
	c := o.nw.cells[o.dCell[sub]].cgi
	b := append(o.line[:0], o.subs[sub].imsi...)
	b = append(b, ',')
	b = strconv.AppendUint(b, uint64(c.LAI.LAC), 10)
	b = append(b, ',')
	b = strconv.AppendUint(b, uint64(c.CI), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, o.dStart[sub]/1e9, 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, end/1e9, 10)
	b = append(b, '\n')
	o.dwell.Write(b)
	o.line = b
}

// close writes what is due before end — the capture stops there, cutting
// procedures still under way — and closes open dwells at the last packet.
func (o *output) close(end int64) error {
	if err := o.flush(end); err != nil {
		return err
	}
	for i := range o.dCell {
		if o.dSilent[i] && o.lastTS-o.dLast[i] > o.silence {
			o.implicitDetach(int32(i), o.dLast[i])
			o.closeDwell(int32(i), o.dLast[i])
		}
		o.closeDwell(int32(i), o.lastTS)
	}
	if err := o.closeEvents(); err != nil {
		return err
	}
	for _, w := range []*bufio.Writer{o.bw, o.msgs, o.dwell} {
		if err := w.Flush(); err != nil {
			return err
		}
	}
	return nil
}
