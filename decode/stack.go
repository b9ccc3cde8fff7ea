package decode

import (
	"encoding/binary"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/sigprobe/sigprobe/decode/bssap"
	"github.com/sigprobe/sigprobe/decode/ident"
	"github.com/sigprobe/sigprobe/decode/m3ua"
	"github.com/sigprobe/sigprobe/decode/sccp"
	"github.com/sigprobe/sigprobe/decode/sctp"
	"github.com/sigprobe/sigprobe/decode/tcap"
)

// LinkType is a pcap link type (LINKTYPE_*).
type LinkType = layers.LinkType

// Link types handled besides gopacket's named ones: DLT_RAW as some
// platforms number it.
const (
	linkRaw12 LinkType = 12
	linkRaw14 LinkType = 14
)

// Well-known ports and payload protocol identifiers.
const (
	portM3UA = 2905
	portM2PA = 3565
	ppidM3UA = 3
	ppidM2PA = 5
	ssnBSSAP = 254
)

// MaxStreams bounds the SCTP streams with reassembly state per flow, and
// MaxHeld the bytes all SCTP reassembly buffers of a Stack may hold: crafted
// traffic must not grow memory without bound.
const (
	MaxStreams = 64
	MaxHeld    = 16 << 20
)

// Stack decodes captured packets into Messages. It owns the reassembly
// state (IPv4 fragments, SCTP streams, SCCP segments) and counters of one
// worker; it is not safe for concurrent use. Create it with NewStack.
type Stack struct {
	Stats Stats

	// VerifyChecksum drops packets whose IPv4 header checksum or SCTP CRC32c
	// is wrong (ErrIPChecksum, sctp.ErrChecksum, Stats.BadChecksums): a
	// corrupted packet must not become a message with a made-up identity.
	// NewStack turns it on. Turn it off for captures taken on a sending host
	// before checksum offload filled the field in (Stats.ZeroChecksums
	// counts the SCTP packets whose field is all zero). This is the config
	// key capture.verify_checksum.
	VerifyChecksum bool

	// SCCPEvents makes Decode also report the connection-oriented SCCP
	// messages that carry no user data (CC, CREF, RLSD, RLC) as Messages with
	// Proto == ProtoNone, so a tracker can follow local references. They are
	// not counted in Stats.Messages.
	SCCPEvents bool
	control    uint64

	eth   layers.Ethernet
	dot1q layers.Dot1Q
	sll   layers.LinuxSLL
	sll2  layers.LinuxSLL2
	ip4   layers.IPv4
	ip6   layers.IPv6

	// gopacket's DecodingLayerParser handles the link and IP layers
	// (allocation-free), except plain Ethernet(+802.1Q)/IPv4 frames, which
	// fastEthIPv4 takes for speed. SCTP and above are hand-written: see
	// package sctp for why.
	pEth, pSLL, pSLL2, pIP4, pIP6 *gopacket.DecodingLayerParser
	decoded                       []gopacket.LayerType

	frags  fragTable
	conns  connTable
	sctp   sctp.Packet
	assocs assocTable
	held   int // bytes held by SCTP stream buffers

	m3ua  m3ua.M3UA
	m2pa  m3ua.M2PA
	mtp   m3ua.PDU
	sccp  sccp.Message
	xudt  sccp.Reassembler
	bssap bssap.Message
	dtap  bssap.Message
	tcap  tcap.Message
	fac   [tcap.MaxComponents]tcap.Component
	mapv  tcap.MAP

	base Message // fields common to the messages of the current SCCP message
	err  error   // first error of the current packet
}

// NewStack returns a Stack ready to decode.
func NewStack() *Stack {
	s := &Stack{VerifyChecksum: true}
	s.assocs.init()
	mk := func(first gopacket.LayerType) *gopacket.DecodingLayerParser {
		p := gopacket.NewDecodingLayerParser(first)
		// A linear array beats the default map for six layer types.
		var c gopacket.DecodingLayerContainer = gopacket.DecodingLayerArray(nil)
		for _, l := range []gopacket.DecodingLayer{&s.eth, &s.dot1q, &s.ip4, &s.ip6, &s.sll, &s.sll2} {
			c = c.Put(l)
		}
		p.SetDecodingLayerContainer(c)
		p.IgnoreUnsupported = true
		return p
	}
	s.pEth = mk(layers.LayerTypeEthernet)
	s.pSLL = mk(layers.LayerTypeLinuxSLL)
	s.pSLL2 = mk(layers.LayerTypeLinuxSLL2)
	s.pIP4 = mk(layers.LayerTypeIPv4)
	s.pIP6 = mk(layers.LayerTypeIPv6)
	s.decoded = make([]gopacket.LayerType, 0, 16)
	return s
}

// Decode decodes one captured packet of link type lt and appends the
// messages it completes to dst, returning the extended slice. frame is the
// packet's 1-based number in the capture and tsNs its time. It returns the
// first decode error met (a package sentinel, also counted in Stats); the
// messages decoded despite it are still appended. data may be reused by the
// caller after Decode returns: messages hold no references into it.
func (s *Stack) Decode(dst []Message, lt LinkType, frame uint64, tsNs int64, data []byte) ([]Message, error) {
	s.Stats.Packets++
	s.err = nil
	s.base.Frame, s.base.TsNs = frame, tsNs // the rest is reset per user message
	n := len(dst)
	s.control = 0
	dst = s.link(dst, lt, data)
	s.Stats.Messages += uint64(len(dst)-n) - s.control
	return dst, s.err
}

// resetBase starts the common fields of a new user message: frame and time
// stay, association and direction are set, everything else is cleared.
//
// Only the fields mtpUser and sccpMsg set on base are cleared (base is
// otherwise always zero); clearing the whole record per message showed in
// profiles.
func (s *Stack) resetBase(assoc uint64, dir uint8) {
	b := &s.base
	b.Assoc, b.Dir, b.Has = assoc, dir, 0
	b.OPC, b.DPC, b.SI, b.NI, b.SLS = 0, 0, 0, 0, 0
	b.SCCPType, b.CalledSSN, b.CallingSSN, b.SLR, b.DLR = 0, 0, 0, 0, 0
	b.CalledPC, b.CallingPC = 0, 0
	if b.CalledGT.N != 0 {
		b.CalledGT = ident.Digits{}
	}
	if b.CallingGT.N != 0 {
		b.CallingGT = ident.Digits{}
	}
}

func (s *Stack) fail(l Layer, err error) {
	s.Stats.Errors++
	s.Stats.ByLayer[l]++
	s.Stats.ByReason[reasonIndex(err)]++
	if s.err == nil {
		s.err = err
	}
}

func (s *Stack) link(dst []Message, lt LinkType, b []byte) []Message {
	var p *gopacket.DecodingLayerParser
	switch lt {
	case layers.LinkTypeEthernet:
		if dst, ok := s.fastEthIPv4(dst, b); ok {
			return dst
		}
		p = s.pEth
	case layers.LinkTypeLinuxSLL:
		p = s.pSLL
	case layers.LinkTypeLinuxSLL2:
		p = s.pSLL2
	case layers.LinkTypeRaw, layers.LinkTypeIPv4, layers.LinkTypeIPv6, linkRaw12, linkRaw14:
		if len(b) == 0 {
			s.fail(LayerLink, ErrLinkShort)
			return dst
		}
		p = s.pIP4
		if b[0]>>4 == 6 {
			p = s.pIP6
		}
	case layers.LinkTypeMTP2Phdr:
		s.resetBase(0, 0)
		if len(b) < 4 {
			s.fail(LayerLink, ErrLinkShort)
			return dst
		}
		return s.mtp2(dst, b[4:])
	case layers.LinkTypeMTP2:
		s.resetBase(0, 0)
		return s.mtp2(dst, b)
	case layers.LinkTypeMTP3:
		s.resetBase(0, 0)
		if err := m3ua.DecodeMTP3(b, &s.mtp); err != nil {
			s.fail(LayerM3UA, err)
			return dst
		}
		return s.mtpUser(dst, &s.mtp)
	default:
		s.fail(LayerLink, ErrLinkType)
		return dst
	}
	if err := p.DecodeLayers(b, &s.decoded); err != nil {
		s.fail(LayerLink, ErrLinkShort)
		return dst
	}
	for i := len(s.decoded) - 1; i >= 0; i-- {
		switch s.decoded[i] {
		case layers.LayerTypeIPv4:
			return s.ipv4(dst)
		case layers.LayerTypeIPv6:
			return s.ipv6(dst)
		}
	}
	s.Stats.NotSCTP++
	return dst
}

// mtp2 decodes an MTP2 frame (BSN, FSN, LI) and its MSU.
func (s *Stack) mtp2(dst []Message, b []byte) []Message {
	if len(b) < 3 {
		s.fail(LayerLink, ErrLinkShort)
		return dst
	}
	if b[2]&0x3f < 3 { // FISU or LSSU
		s.Stats.AdaptationMgmt++
		return dst
	}
	if err := m3ua.DecodeMTP3(b[3:], &s.mtp); err != nil {
		s.fail(LayerM3UA, err)
		return dst
	}
	return s.mtpUser(dst, &s.mtp)
}

const ipProtoSCTP = 132

func (s *Stack) ipv4(dst []Message) []Message {
	ip := &s.ip4
	if ip.Protocol != ipProtoSCTP {
		s.Stats.NotSCTP++
		return dst
	}
	if s.VerifyChecksum && !ipv4HeaderOK(ip.Contents) {
		s.Stats.BadChecksums++
		s.fail(LayerIP, ErrIPChecksum)
		return dst
	}
	payload := ip.Payload
	if ip.Flags&layers.IPv4MoreFragments != 0 || ip.FragOffset != 0 {
		var err error
		payload, err = s.frags.add(ip)
		if err != nil {
			s.fail(LayerIP, err)
			return dst
		}
		if payload == nil {
			s.Stats.Fragments++
			return dst
		}
	}
	return s.sctpPacket(dst, ip.SrcIP, ip.DstIP, payload)
}

func (s *Stack) ipv6(dst []Message) []Message {
	ip := &s.ip6
	next, b := uint8(ip.NextHeader), ip.Payload
	for {
		switch next {
		case ipProtoSCTP:
			return s.sctpPacket(dst, ip.SrcIP, ip.DstIP, b)
		case 0, 43, 60: // hop-by-hop, routing, destination options
			// Length in 8-octet units, not counting the first: int before
			// +1, or 255 wraps to 0 and the loop never advances.
			if len(b) < 8 {
				s.fail(LayerIP, ErrIPv6Ext)
				return dst
			}
			n := (int(b[1]) + 1) * 8
			if n > len(b) {
				s.fail(LayerIP, ErrIPv6Ext)
				return dst
			}
			next, b = b[0], b[n:]
		case 44: // fragment: SIGTRAN over IPv6 does not fragment in practice
			s.fail(LayerIP, ErrIPFragment)
			return dst
		default:
			s.Stats.NotSCTP++
			return dst
		}
	}
}

// stream returns the reassembly state of stream id, or nil when the flow
// already has MaxStreams.
func (f *flow) stream(id uint16) *sctp.Stream {
	st := f.streams[id]
	if st == nil {
		if f.streams == nil {
			f.streams = make(map[uint16]*sctp.Stream)
		}
		if len(f.streams) >= MaxStreams {
			return nil
		}
		st = &sctp.Stream{}
		f.streams[id] = st
	}
	return st
}

// ipv4HeaderOK reports whether an IPv4 header's one's-complement sum,
// checksum included, is all ones (RFC 791, RFC 1071).
func ipv4HeaderOK(h []byte) bool {
	var sum uint32
	for i := 0; i+1 < len(h); i += 2 {
		sum += uint32(h[i])<<8 | uint32(h[i+1])
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	return sum == 0xffff
}

func (s *Stack) sctpPacket(dst []Message, src, dstIP []byte, b []byte) []Message {
	if s.VerifyChecksum && len(b) >= 12 && !sctp.ChecksumOK(b) {
		s.Stats.BadChecksums++
		if sctp.StoredChecksum(b) == 0 {
			s.Stats.ZeroChecksums++
		}
		s.fail(LayerSCTP, sctp.ErrChecksum)
		return dst
	}
	p := &s.sctp
	if err := p.DecodeFromBytes(b); err != nil {
		s.fail(LayerSCTP, err)
		if p.NData == 0 {
			return dst
		}
	}
	path, pdir := pathKey(src, dstIP, p.SrcPort, p.DstPort)
	if p.NData == 0 {
		s.Stats.Control++
		s.learnControl(path, pdir, p)
		return dst
	}
	f := s.flowOf(path, pdir, p.SrcPort, p.DstPort, p.VTag)
	assoc, dir := f.a.id, f.dir
	for i := 0; i < p.NData; i++ {
		d := &p.Data[i]
		if f.dedup.Seen(d.TSN) {
			s.Stats.Retransmissions++
			continue
		}
		msg := d.Payload
		if !d.Begin() || !d.End() {
			st := f.stream(d.Stream)
			if st == nil {
				s.fail(LayerSCTP, ErrTooManyStreams)
				continue
			}
			held := st.Cap()
			var err error
			msg, err = st.Add(d)
			if s.held += st.Cap() - held; s.held > MaxHeld {
				s.held -= st.Cap()
				st.Release()
				s.fail(LayerSCTP, ErrReassemblyMemory)
				continue
			}
			if err != nil {
				s.fail(LayerSCTP, err)
				continue
			}
			if msg == nil {
				s.Stats.Fragments++
				continue
			}
		}
		s.resetBase(assoc, dir)
		switch {
		case d.PPID == ppidM3UA || d.PPID == 0 && (p.SrcPort == portM3UA || p.DstPort == portM3UA):
			if err := s.m3ua.DecodeFromBytes(msg); err != nil {
				if err == m3ua.ErrNotData {
					s.Stats.AdaptationMgmt++
				} else {
					s.fail(LayerM3UA, err)
				}
				continue
			}
			dst = s.mtpUser(dst, &s.m3ua.PDU)
		case d.PPID == ppidM2PA || d.PPID == 0 && (p.SrcPort == portM2PA || p.DstPort == portM2PA):
			if err := s.m2pa.DecodeFromBytes(msg); err != nil {
				if err == m3ua.ErrNotData {
					s.Stats.AdaptationMgmt++
				} else {
					s.fail(LayerM3UA, err)
				}
				continue
			}
			dst = s.mtpUser(dst, &s.m2pa.PDU)
		default:
			s.Stats.OtherPPID++
		}
	}
	return dst
}

func (s *Stack) mtpUser(dst []Message, p *m3ua.PDU) []Message {
	if p.SI != m3ua.SISCCP {
		s.Stats.NotSCCP++
		return dst
	}
	b := &s.base
	b.OPC, b.DPC, b.SI, b.NI, b.SLS = p.OPC, p.DPC, p.SI, p.NI, p.SLS
	b.Has |= HasMTP
	return s.sccpMsg(dst, p.Data)
}

// SCCP users by subsystem.
const (
	userNone  = iota // no user known for the SSN
	userBSSAP        // 254
	userMAP          // TCAP with GSM MAP
	userOther        // a known user out of scope: RANAP, RNSAP, CAP, INAP, BSSAP+
)

func ssnUser(ssn uint8) int {
	switch {
	case ssn == ssnBSSAP:
		return userBSSAP
	case mapSSN(ssn):
		return userMAP
	case ssn == 98, ssn == 106, ssn == 142, ssn == 143, ssn == 146, ssn == 241:
		return userOther
	}
	return userNone
}

// mapSSN reports the subsystems tshark hands to GSM MAP (its gsm_map.tcap.ssn
// default 6-9,145,148-150: HLR, VLR, MSC, EIR, GMLC, SIWF, SGSN, GGSN).
func mapSSN(ssn uint8) bool {
	return ssn >= 6 && ssn <= 9 || ssn == 145 || ssn >= 148 && ssn <= 150
}

func (s *Stack) sccpMsg(dst []Message, b []byte) []Message {
	m := &s.sccp
	if err := m.DecodeFromBytes(b); err != nil {
		s.fail(LayerSCCP, err)
		return dst
	}
	base := &s.base
	base.Has |= HasSCCP
	base.SCCPType = m.Type
	base.CalledSSN, base.CallingSSN = m.Called.SSN, m.Calling.SSN
	if m.Called.HasPC {
		base.CalledPC = m.Called.PC
		base.Has |= HasCalledPC
	}
	if m.Calling.HasPC {
		base.CallingPC = m.Calling.PC
		base.Has |= HasCallingPC
	}
	setDigits(&base.CalledGT, &m.Called.GT)
	setDigits(&base.CallingGT, &m.Calling.GT)
	if m.Has&sccp.HasSLR != 0 {
		base.SLR = m.SLR
		base.Has |= HasSLR
	}
	if m.Has&sccp.HasDLR != 0 {
		base.DLR = m.DLR
		base.Has |= HasDLR
	}
	switch m.Type {
	case sccp.UDTS, sccp.XUDTS, sccp.LUDTS:
		s.Stats.Returned++
		return dst
	case sccp.CR:
		if m.Called.HasSSN && ssnUser(m.Called.SSN) == userOther {
			s.conns.add(base.Assoc, m.SLR)
		}
	case sccp.CC:
		if s.conns.has(base.Assoc, m.DLR) {
			s.conns.add(base.Assoc, m.SLR)
		}
	case sccp.RLC:
		s.conns.del(base.Assoc, m.SLR)
		s.conns.del(base.Assoc, m.DLR)
	}
	data := m.Data
	if len(data) == 0 {
		s.Stats.NoUserData++
		if s.SCCPEvents && (m.Type == sccp.CC || m.Type == sccp.RLSD || m.Type == sccp.RLC || m.Type == sccp.CREF) {
			s.control++
			dst = append(dst, *base)
		}
		return dst
	}
	if m.Has&sccp.HasSeg != 0 && !(m.Seg.First && m.Seg.Remaining == 0) {
		var err error
		data, err = s.xudt.Add(s.segKey(), m.Seg, data)
		if err != nil {
			s.fail(LayerSCCP, err)
			return dst
		}
		if data == nil {
			s.Stats.Fragments++
			return dst
		}
	}
	switch m.Type {
	case sccp.UDT, sccp.XUDT, sccp.LUDT:
		// Like tshark: the called subsystem decides when it has a known
		// user, else the calling one (a gsmSCF at 147 talking to an HLR).
		u := userNone
		if m.Called.HasSSN {
			u = ssnUser(m.Called.SSN)
		}
		if u == userNone && m.Calling.HasSSN {
			u = ssnUser(m.Calling.SSN)
		}
		switch u {
		case userBSSAP:
			return s.bssapMsg(dst, data)
		case userMAP:
			return s.tcapMsg(dst, data)
		}
	case sccp.CR:
		if m.Called.HasSSN && m.Called.SSN != ssnBSSAP {
			break // e.g. RANAP (142) on the Iu-CS interface
		}
		if bssap.Looks(data) {
			return s.bssapMsg(dst, data)
		}
	default: // CC, CREF, RLSD, DT1: the connection's user is told by framing
		if m.Has&sccp.HasDLR != 0 && s.conns.has(base.Assoc, m.DLR) {
			break
		}
		if bssap.Looks(data) {
			return s.bssapMsg(dst, data)
		}
	}
	s.Stats.OutOfScope++
	return dst
}

// segKey identifies the sender of a segmented XUDT: association, direction
// and calling address.
func (s *Stack) segKey() uint64 {
	h := s.base.Assoc ^ uint64(s.base.Dir)<<63 ^ uint64(s.base.OPC)<<32
	c := &s.sccp.Calling
	h ^= uint64(c.SSN)<<8 | uint64(c.PC)<<16
	for _, x := range c.GT.Bytes() {
		h = (h ^ uint64(x)) * 1099511628211
	}
	return h
}

func (s *Stack) bssapMsg(dst []Message, data []byte) []Message {
	m := &s.bssap
	if err := m.DecodeFromBytes(data); err != nil {
		if m.Disc == bssap.DTAP {
			s.fail(LayerDTAP, err)
		} else {
			s.fail(LayerBSSMAP, err)
		}
		// A bad IE after the message type still leaves a message to
		// report, with the fields read before it (as tshark shows it).
		if !m.Typed {
			return dst
		}
	}
	dst = s.appendBSSAP(dst, m)
	if m.Disc == bssap.BSSMAP && len(m.L3) > 0 {
		d := &s.dtap
		if err := d.DecodeDTAP(m.L3); err != nil {
			s.fail(LayerDTAP, err)
			if !d.Typed {
				return dst
			}
		}
		dst = s.appendBSSAP(dst, d)
	}
	return dst
}

func (s *Stack) appendBSSAP(dst []Message, m *bssap.Message) []Message {
	dst = append(dst, s.base)
	o := &dst[len(dst)-1]
	o.Type = int32(m.Type)
	o.Has |= HasType
	if m.Disc == bssap.BSSMAP {
		o.Proto = ProtoBSSMAP
	} else {
		o.Proto = ProtoDTAP
		o.PD = m.PD
		if m.Has&bssap.HasDLCI != 0 {
			o.DLCI = m.DLCI
			o.Has |= HasDLCI
		}
	}
	setDigits(&o.IMSI, &m.IMSI)
	setDigits(&o.IMEI, &m.IMEI)
	setDigits(&o.IMEISV, &m.IMEISV)
	if m.Has&bssap.HasTMSI != 0 {
		o.TMSI = m.TMSI
		o.Has |= HasTMSI
	}
	if m.Has&bssap.HasCause != 0 {
		o.Cause = m.Cause
		o.Has |= HasCause
	}
	if m.Has&bssap.HasLUType != 0 {
		o.LUType = m.LUType
		o.Has |= HasLUType
	}
	if m.Has&bssap.HasCMType != 0 {
		o.CMServiceType = m.CMType
		o.Has |= HasCMType
	}
	if m.Has&bssap.HasRejCause != 0 {
		o.RejectCause = m.Reject
		o.Has |= HasRejCause
	}
	if m.RAND != 0 {
		o.RANDs[0], o.NRAND = m.RAND, 1
	}
	if m.Has&bssap.CellsTruncated != 0 {
		o.Has |= CellsTruncated
	}
	o.Loc = m.Loc
	o.NCells = uint8(copy(o.Cells[:], m.Cells[:m.NCells]))
	setDigits(&o.Called, &m.Called)
	setDigits(&o.Calling, &m.Calling)
	setDigits(&o.RPOrig, &m.RPOrig)
	setDigits(&o.RPDest, &m.RPDest)
	setDigits(&o.TPAddr, &m.TPAddr)
	if len(m.Facility) > 0 {
		n, err := tcap.DecodeComponents(m.Facility, s.fac[:])
		if err != nil {
			s.fail(LayerTCAP, err)
		}
		for i := 0; i < n; i++ {
			dst = s.appendComponent(dst, &s.fac[i], nil)
		}
	}
	return dst
}

func (s *Stack) tcapMsg(dst []Message, data []byte) []Message {
	if len(data) > 0 && data[0]&0xe0 == 0xe0 { // ANSI TCAP (private tags): out of scope
		s.Stats.OutOfScope++
		return dst
	}
	t := &s.tcap
	err := t.DecodeFromBytes(data)
	if err != nil {
		s.fail(LayerTCAP, err)
	}
	if t.NComp == 0 {
		if err == nil {
			s.Stats.NoComponents++
		}
		return dst
	}
	for i := 0; i < t.NComp; i++ {
		dst = s.appendComponent(dst, &t.Comp[i], t)
	}
	return dst
}

// appendComponent appends the MAP message of one ROS component; t is the
// TCAP message carrying it (nil inside a DTAP Facility IE).
func (s *Stack) appendComponent(dst []Message, c *tcap.Component, t *tcap.Message) []Message {
	var comp Comp
	switch c.Kind {
	case tcap.Invoke:
		comp = CompInvoke
	case tcap.ReturnResultLast, tcap.ReturnResultNotLast:
		comp = CompResult
	case tcap.ReturnError:
		comp = CompError
	default:
		comp = CompReject
		s.Stats.Rejects++
	}
	dst = append(dst, s.base)
	o := &dst[len(dst)-1]
	o.Proto, o.Comp = ProtoMAP, comp
	if c.HasOp {
		o.Type = c.Op
		o.Has |= HasType
	}
	if c.HasInvokeID {
		o.InvokeID = c.InvokeID
		o.Has |= HasInvokeID
	}
	if c.HasErr {
		o.Cause = uint16(c.Err)
		o.Has |= HasCause
	}
	if t != nil {
		o.TCAPType = t.Type
		o.Has |= HasTCAP
		if t.HasOTID {
			o.OTID = t.OTID
			o.Has |= HasOTID
		}
		if t.HasDTID {
			o.DTID = t.DTID
			o.Has |= HasDTID
		}
		if t.HasACN {
			o.ACN, o.ACVersion = t.ACN, t.ACVersion
			o.Has |= HasACN
		}
	}
	if c.HasOp {
		v := &s.mapv
		*v = tcap.MAP{}
		if err := tcap.DecodeMAP(c.Op, c, v); err != nil {
			s.fail(LayerMAP, err)
		}
		setDigits(&o.IMSI, &v.IMSI)
		setDigits(&o.MSISDN, &v.MSISDN)
		setDigits(&o.IMEI, &v.IMEI)
		setDigits(&o.VLR, &v.VLR)
		setDigits(&o.MSC, &v.MSC)
		setDigits(&o.HLR, &v.HLR)
		o.RANDs, o.NRAND = v.RANDs, v.NRAND
		if v.CGI.Valid() {
			o.Loc = v.CGI
			o.Cells[0] = v.CGI
			o.NCells = 1
		}
		if v.HasTMSI {
			o.TMSI = v.TMSI
			o.Has |= HasTMSI
		}
		if v.HasPrevLAI { // where the subscriber was, not where it is: Loc stays empty
			o.Cells[0] = v.PrevLAI
			o.NCells = 1
		}
	}
	return dst
}

// setDigits copies src over dst when present: most digit fields are absent,
// and dst starts out zero, so this saves copying empty arrays.
func setDigits(dst, src *ident.Digits) {
	if src.N > 0 {
		*dst = *src
	}
}

// fastEthIPv4 handles the dominant frame shape, Ethernet (optionally one
// 802.1Q tag) carrying an option-less, unfragmented IPv4 SCTP packet,
// without the DecodingLayerParser (which costs about a quarter of the
// decode time there); ok is false for anything else.
func (s *Stack) fastEthIPv4(dst []Message, b []byte) ([]Message, bool) {
	if len(b) < 14+20 {
		return dst, false
	}
	et, off := binary.BigEndian.Uint16(b[12:]), 14
	if et == 0x8100 {
		if len(b) < 18+20 {
			return dst, false
		}
		et, off = binary.BigEndian.Uint16(b[16:]), 18
	}
	ip := b[off:]
	if et != 0x0800 || ip[0] != 0x45 || ip[9] != ipProtoSCTP || binary.BigEndian.Uint16(ip[6:])&0x3fff != 0 {
		return dst, false
	}
	n := int(binary.BigEndian.Uint16(ip[2:]))
	if n < 20 || n > len(ip) {
		return dst, false
	}
	if s.VerifyChecksum && !ipv4HeaderOK(ip[:20]) {
		s.Stats.BadChecksums++
		s.fail(LayerIP, ErrIPChecksum)
		return dst, true
	}
	return s.sctpPacket(dst, ip[12:16], ip[16:20], ip[20:n]), true
}
