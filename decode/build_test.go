package decode

// Frame builders for the synthetic fixtures: each layer encoded by hand
// from its specification, so the fixtures exercise what real captures in
// ../shared/captures do not (VLAN/QinQ, SLL/SLL2, raw IP, IPv6, IPv4
// fragments, SCTP bundling/fragmentation/retransmission, XUDT segments,
// M2PA, MTP2, every BSSMAP/DTAP/MAP message kind).

import (
	"encoding/binary"
	"hash/crc32"
)

func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func u16(v int) []byte { return []byte{byte(v >> 8), byte(v)} }
func u32(v uint32) []byte {
	return []byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
}

// ---- link and IP ----

var macA = []byte{0x02, 0, 0, 0, 0, 0xa1}
var macB = []byte{0x02, 0, 0, 0, 0, 0xb2}

func eth(etype int, payload []byte) []byte { return cat(macB, macA, u16(etype), payload) }
func vlan(id, etype int, payload []byte) []byte {
	return cat(u16(id), u16(etype), payload)
}
func sll(payload []byte) []byte {
	return cat(u16(0), u16(1), u16(6), macA, []byte{0, 0}, u16(0x0800), payload)
}
func sll2(payload []byte) []byte {
	return cat(u16(0x0800), u16(0), u32(3), u16(1), []byte{0, 6}, macA, []byte{0, 0}, payload)
}

func ipv4(src, dst [4]byte, id int, flagsFrag int, payload []byte) []byte {
	h := cat([]byte{0x45, 0}, u16(20+len(payload)), u16(id), u16(flagsFrag), []byte{64, 132, 0, 0}, src[:], dst[:])
	var sum uint32
	for i := 0; i < 20; i += 2 {
		sum += uint32(h[i])<<8 | uint32(h[i+1])
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(h[10:], ^uint16(sum))
	return cat(h, payload)
}

func ipv6(src, dst [16]byte, payload []byte) []byte {
	return cat([]byte{0x60, 0, 0, 0}, u16(len(payload)), []byte{132, 64}, src[:], dst[:], payload)
}

// ---- SCTP ----

func sctpPkt(sp, dp int, vtag uint32, chunks ...[]byte) []byte {
	p := cat(u16(sp), u16(dp), u32(vtag), u32(0))
	for _, c := range chunks {
		p = append(p, c...)
		for len(p)%4 != 0 {
			p = append(p, 0)
		}
	}
	binary.LittleEndian.PutUint32(p[8:], crc32.Checksum(p, crc32.MakeTable(crc32.Castagnoli)))
	return p
}

func dataChunk(flags byte, tsn uint32, stream, ssn int, ppid uint32, payload []byte) []byte {
	return cat([]byte{0, flags}, u16(16+len(payload)), u32(tsn), u16(stream), u16(ssn), u32(ppid), payload)
}

// initChunk is an INIT (typ 1) or INIT ACK (typ 2) naming tag and the
// sender's IPv4 addresses; an INIT ACK carries a state cookie too.
func initChunk(typ byte, tag, tsn uint32, addrs ...[4]byte) []byte {
	body := cat(u32(tag), u32(65536), u16(10), u16(10), u32(tsn))
	for _, a := range addrs {
		body = cat(body, u16(5), u16(8), a[:])
	}
	if typ == 2 {
		body = cat(body, u16(7), u16(12), []byte("cookie!!"))
	}
	return cat([]byte{typ, 0}, u16(4+len(body)), body)
}

func sackChunk(cum uint32) []byte {
	return cat([]byte{3, 0}, u16(16), u32(cum), u32(65535), u16(0), u16(0))
}

// ---- M3UA / M2PA / MTP3 ----

func m3uaData(opc, dpc uint32, ni byte, sls byte, sccp []byte) []byte {
	pd := cat(u32(opc), u32(dpc), []byte{3, ni, 0, sls}, sccp)
	param := cat(u16(0x0210), u16(4+len(pd)), pd)
	for len(param)%4 != 0 {
		param = append(param, 0)
	}
	rc := cat(u16(0x0006), u16(8), u32(1))
	body := cat(rc, param)
	return cat([]byte{1, 0, 1, 1}, u32(uint32(8+len(body))), body)
}

func m3uaASPUP() []byte { return []byte{1, 0, 3, 1, 0, 0, 0, 8} }

func mtp3(ni byte, opc, dpc uint32, sls byte, sccp []byte) []byte {
	l := dpc&0x3fff | (opc&0x3fff)<<14 | uint32(sls)<<28
	return cat([]byte{ni<<6 | 3}, []byte{byte(l), byte(l >> 8), byte(l >> 16), byte(l >> 24)}, sccp)
}

func m2paUserData(bsn, fsn uint32, msu []byte) []byte {
	body := cat(u32(bsn), u32(fsn), []byte{0}, msu)
	return cat([]byte{1, 0, 11, 1}, u32(uint32(8+len(body))), body)
}

// ---- SCCP ----

func lvb(v []byte) []byte { return cat([]byte{byte(len(v))}, v) }

// addrSSN is an address routed on SSN with a point code.
func addrSSN(pc int, ssn byte) []byte { return []byte{0x43, byte(pc), byte(pc >> 8), ssn} }

// addrGT is an address routed on GT (GTI 4, E.164, international).
func addrGT(ssn byte, digits string) []byte {
	es := byte(2)
	if len(digits)%2 == 1 {
		es = 1
	}
	return cat([]byte{0x12, ssn, 0, 0x10 | es, 0x04}, tbcd(digits))
}

func udt(called, calling, data []byte) []byte {
	return cat([]byte{0x09, 0x80, 3, byte(3 + len(called)), byte(3 + len(called) + len(calling))},
		lvb(called), lvb(calling), lvb(data))
}

// udts returns data to its sender (Q.713 4.11) with a return cause.
func udts(cause byte, called, calling, data []byte) []byte {
	return cat([]byte{0x0a, cause, 3, byte(3 + len(called)), byte(3 + len(called) + len(calling))},
		lvb(called), lvb(calling), lvb(data))
}

func xudt(called, calling, data []byte, seg []byte) []byte {
	p1 := 4
	p2 := p1 - 1 + 1 + len(called)
	p3 := p2 - 1 + 1 + len(calling)
	p4 := 0
	if seg != nil {
		p4 = p3 - 1 + 1 + len(data)
	}
	out := cat([]byte{0x11, 0x80, 0x0f, byte(p1), byte(p2), byte(p3), byte(p4)}, lvb(called), lvb(calling), lvb(data))
	if seg != nil {
		out = cat(out, []byte{0x10, 4}, seg, []byte{0})
	}
	return out
}

func segParam(first bool, remaining byte, ref uint32) []byte {
	b := remaining & 0xf
	if first {
		b |= 0x80
	}
	return []byte{b, byte(ref), byte(ref >> 8), byte(ref >> 16)}
}

func ref3(r uint32) []byte { return []byte{byte(r), byte(r >> 8), byte(r >> 16)} }

func cr(slr uint32, called, calling, data []byte) []byte {
	opt := cat([]byte{0x04}, lvb(calling), []byte{0x0f}, lvb(data), []byte{0})
	return cat([]byte{0x01}, ref3(slr), []byte{2, 2, byte(2 + len(called))}, lvb(called), opt)
}

func cc(dlr, slr uint32) []byte { return cat([]byte{0x02}, ref3(dlr), ref3(slr), []byte{2, 0}) }
func dt1(dlr uint32, data []byte) []byte {
	return cat([]byte{0x06}, ref3(dlr), []byte{0, 1}, lvb(data))
}
func rlsd(dlr, slr uint32) []byte { return cat([]byte{0x04}, ref3(dlr), ref3(slr), []byte{0, 0}) }
func rlc(dlr, slr uint32) []byte  { return cat([]byte{0x05}, ref3(dlr), ref3(slr)) }

// ---- identities ----

func tbcd(d string) []byte {
	var out []byte
	for i := 0; i < len(d); i += 2 {
		lo := d[i] - '0'
		hi := byte(0xf)
		if i+1 < len(d) {
			hi = d[i+1] - '0'
		}
		out = append(out, hi<<4|lo)
	}
	return out
}

func isdn(d string) []byte { return cat([]byte{0x91}, tbcd(d)) }

// mobileID encodes a TS 24.008 mobile identity value of type 1-3.
func mobileID(typ byte, d string) []byte {
	odd := byte(0)
	if len(d)%2 == 1 {
		odd = 8
	}
	out := []byte{(d[0]-'0')<<4 | odd | typ}
	rest := d[1:]
	for i := 0; i < len(rest); i += 2 {
		lo := rest[i] - '0'
		hi := byte(0xf)
		if i+1 < len(rest) {
			hi = rest[i+1] - '0'
		}
		out = append(out, hi<<4|lo)
	}
	return out
}

func tmsiID(t uint32) []byte { return cat([]byte{0xf4}, u32(t)) }

// plmn encodes MCC/MNC (MNC of 2 or 3 digits).
func plmn(mcc, mnc string) []byte {
	m3 := byte(0xf)
	if len(mnc) == 3 {
		m3 = mnc[2] - '0'
	}
	return []byte{(mcc[1]-'0')<<4 | (mcc[0] - '0'), m3<<4 | (mcc[2] - '0'), (mnc[1]-'0')<<4 | (mnc[0] - '0')}
}

func lai(mcc, mnc string, lac int) []byte { return cat(plmn(mcc, mnc), u16(lac)) }
func cgi(mcc, mnc string, lac, ci int) []byte {
	return cat(lai(mcc, mnc, lac), u16(ci))
}

// ---- BSSAP ----

func bssmap(typ byte, ies ...[]byte) []byte {
	body := cat(append([][]byte{{typ}}, ies...)...)
	return cat([]byte{0, byte(len(body))}, body)
}

func dtap(dlci byte, l3 []byte) []byte { return cat([]byte{1, dlci, byte(len(l3))}, l3) }

func tlvIE(iei byte, v []byte) []byte { return cat([]byte{iei, byte(len(v))}, v) }

// ---- BER / TCAP ----

func ber(tag byte, parts ...[]byte) []byte {
	v := cat(parts...)
	switch {
	case len(v) < 128:
		return cat([]byte{tag, byte(len(v))}, v)
	case len(v) < 256:
		return cat([]byte{tag, 0x81, byte(len(v))}, v)
	}
	return cat([]byte{tag, 0x82, byte(len(v) >> 8), byte(len(v))}, v)
}

func berInt(tag byte, v int) []byte { return []byte{tag, 1, byte(v)} }

func acnOID(ac, ver byte) []byte { return ber(0x06, []byte{0x04, 0x00, 0x00, 0x01, 0x00, ac, ver}) }

var dialogueAS = ber(0x06, []byte{0x00, 0x11, 0x86, 0x05, 0x01, 0x01, 0x01})

func aarq(ac, ver byte) []byte {
	return ber(0x6b, ber(0x28, dialogueAS, ber(0xa0, ber(0x60, []byte{0x80, 0x02, 0x07, 0x80}, ber(0xa1, acnOID(ac, ver))))))
}

func aare(ac, ver byte) []byte {
	return ber(0x6b, ber(0x28, dialogueAS, ber(0xa0, ber(0x61, []byte{0x80, 0x02, 0x07, 0x80},
		ber(0xa1, acnOID(ac, ver)), ber(0xa2, berInt(0x02, 0)), ber(0xa3, ber(0xa1, berInt(0x02, 0)))))))
}

func tcBegin(otid uint32, dlg []byte, comps ...[]byte) []byte {
	return ber(0x62, ber(0x48, u32(otid)), dlg, ber(0x6c, comps...))
}
func tcContinue(otid, dtid uint32, dlg []byte, comps ...[]byte) []byte {
	return ber(0x65, ber(0x48, u32(otid)), ber(0x49, u32(dtid)), dlg, ber(0x6c, comps...))
}
func tcEnd(dtid uint32, dlg []byte, comps ...[]byte) []byte {
	return ber(0x64, ber(0x49, u32(dtid)), dlg, ber(0x6c, comps...))
}

func invoke(id, op int, param []byte) []byte {
	return ber(0xa1, berInt(0x02, id), berInt(0x02, op), param)
}
func result(id, op int, param []byte) []byte {
	if param == nil {
		return ber(0xa2, berInt(0x02, id))
	}
	return ber(0xa2, berInt(0x02, id), ber(0x30, berInt(0x02, op), param))
}
func rerror(id, code int) []byte { return ber(0xa3, berInt(0x02, id), berInt(0x02, code)) }

func ludt(called, calling, data []byte) []byte {
	const fixed = 11
	p1 := fixed - 4 // two-octet pointers count from their second octet
	p2 := fixed + 1 + len(called) - 6
	p3 := fixed + 1 + len(called) + 1 + len(calling) - 8
	return cat([]byte{0x13, 0x80, 0x0f, byte(p1), 0, byte(p2), 0, byte(p3), 0, 0, 0},
		lvb(called), lvb(calling), []byte{byte(len(data)), byte(len(data) >> 8)}, data)
}
