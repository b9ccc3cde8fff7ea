package decode

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

var writeFixtures = flag.Bool("write-fixtures", false, "regenerate testdata/*.pcap and their tshark goldens")

// fixture is one synthetic capture under testdata/.
type fixture struct {
	name   string
	lt     layers.LinkType
	ng     bool // write pcapng
	frames [][]byte
}

const (
	msc   = 101
	bsc   = 202
	hlrPC = 301
	vlrPC = 302
)

var (
	ipMSC = [4]byte{10, 0, 0, 1}
	ipBSC = [4]byte{10, 0, 0, 2}
	ipHLR = [4]byte{10, 0, 1, 1}
	ipVLR = [4]byte{10, 0, 1, 2}
)

// sigtran wraps SCCP into M3UA DATA in its own SCTP packet and IPv4.
type assoc struct {
	srcIP, dstIP [4]byte
	sp, dp       int
	opc, dpc     uint32
	tsn          uint32
	ssn          int
}

func (a *assoc) rev() *assoc {
	return &assoc{srcIP: a.dstIP, dstIP: a.srcIP, sp: a.dp, dp: a.sp, opc: a.dpc, dpc: a.opc, tsn: 5000}
}

func (a *assoc) chunk(sccp []byte) []byte {
	a.tsn++
	a.ssn++
	return dataChunk(3, a.tsn, 1, a.ssn, 3, m3uaData(a.opc, a.dpc, 2, byte(a.ssn)&0xf, sccp))
}

func (a *assoc) ip(chunks ...[]byte) []byte {
	return ipv4(a.srcIP, a.dstIP, int(a.tsn&0xffff), 0x4000, sctpPkt(a.sp, a.dp, 0x1000+uint32(a.sp), chunks...))
}

func (a *assoc) frame(sccp []byte) []byte { return eth(0x0800, a.ip(a.chunk(sccp))) }

// ---- A-interface scenario ----

const (
	imsi1   = "262011234567890"
	imsi2   = "262019876543210"
	imeisv1 = "3569380356438091"
	imei1   = "356938035643809"
)

func aInterface() fixture {
	up := &assoc{srcIP: ipBSC, dstIP: ipMSC, sp: 2905, dp: 2905, opc: bsc, dpc: msc, tsn: 100}
	dn := up.rev()
	bssCalled, bssCalling := addrSSN(msc, 254), addrSSN(bsc, 254)
	cell1 := tlvIE(0x05, cat([]byte{0}, cgi("262", "01", 0x1001, 0x2001)))
	var f [][]byte
	ul := func(d []byte) { f = append(f, up.frame(d)) }
	dl := func(d []byte) { f = append(f, dn.frame(d)) }
	co := func(slr uint32, l3 []byte) []byte {
		return cr(slr, bssCalled, bssCalling, bssmap(0x57, cell1, tlvIE(0x17, l3)))
	}
	const bscRef, mscRef = 0x000a01, 0x000b01

	// Reset / Reset Acknowledge.
	ul(udt(bssCalled, bssCalling, bssmap(0x30, tlvIE(0x04, []byte{0x00}))))
	dl(udt(bssCalling, bssCalled, bssmap(0x31)))
	// Location update with IMSI: Complete L3 in CR, authentication, ciphering
	// (Cipher Mode Complete carries RR Ciphering Mode Complete with IMEISV),
	// accept with new TMSI, TMSI reallocation complete, clear.
	ul(co(bscRef, cat([]byte{0x05, 0x08, 0x72}, lai("262", "01", 0x1000), []byte{0x33}, lvb(mobileID(1, imsi1)))))
	dl(cc(bscRef, mscRef))
	dl(dt1(bscRef, dtap(0, cat([]byte{0x05, 0x12, 0x00}, make([]byte, 16)))))
	ul(dt1(mscRef, dtap(0, []byte{0x05, 0x14, 1, 2, 3, 4})))
	dl(dt1(bscRef, bssmap(0x53, tlvIE(0x0a, []byte{0x02, 1, 2, 3, 4, 5, 6, 7, 8}), []byte{0x23, 0x01})))
	ul(dt1(mscRef, bssmap(0x55, tlvIE(0x20, cat([]byte{0x06, 0x32}, tlvIE(0x17, mobileID(3, imeisv1)))), []byte{0x2c, 0x02})))
	dl(dt1(bscRef, dtap(0, cat([]byte{0x05, 0x02}, lai("262", "01", 0x1001), tlvIE(0x17, tmsiID(0x1a2b3c4d))))))
	ul(dt1(mscRef, dtap(0, []byte{0x05, 0x1b})))
	dl(dt1(bscRef, bssmap(0x20, tlvIE(0x04, []byte{0x09}))))
	ul(dt1(mscRef, bssmap(0x21)))
	dl(rlsd(bscRef, mscRef))
	ul(rlc(mscRef, bscRef))

	// Identity request / response (IMEI), LU reject, IMSI detach.
	ul(co(bscRef+1, cat([]byte{0x05, 0x08, 0x70}, lai("262", "01", 0x1001), []byte{0x33}, lvb(tmsiID(0x1a2b3c4d)))))
	dl(cc(bscRef+1, mscRef+1))
	dl(dt1(bscRef+1, dtap(0, []byte{0x05, 0x18, 0x02})))
	ul(dt1(mscRef+1, dtap(0, cat([]byte{0x05, 0x19}, lvb(mobileID(2, imei1))))))
	dl(dt1(bscRef+1, dtap(0, []byte{0x05, 0x04, 0x0b})))
	ul(co(bscRef+2, cat([]byte{0x05, 0x01, 0x33}, lvb(mobileID(1, imsi2)))))

	// Mobile-originated call: CM service request, assignment, CC.
	ul(co(bscRef+3, cat([]byte{0x05, 0x24, 0x71}, lvb([]byte{0x57, 0x58, 0xa6}), lvb(tmsiID(0x1a2b3c4d)))))
	dl(cc(bscRef+3, mscRef+3))
	dl(dt1(bscRef+3, dtap(0, []byte{0x05, 0x21})))
	ul(dt1(mscRef+3, dtap(0, cat([]byte{0x03, 0x05}, tlvIE(0x04, []byte{0xa0}), tlvIE(0x5e, cat([]byte{0x91}, tbcd("4915112345678")))))))
	dl(dt1(bscRef+3, bssmap(0x01, tlvIE(0x0b, []byte{0x01, 0x08, 0x01}), []byte{0x01, 0x00, 0x04})))
	ul(dt1(mscRef+3, bssmap(0x02, []byte{0x15, 0x00}, tlvIE(0x05, cat([]byte{1}, u16(0x1001), u16(0x2001))))))
	dl(dt1(bscRef+3, dtap(0, []byte{0x83, 0x02})))
	dl(dt1(bscRef+3, dtap(0, []byte{0x83, 0x01})))
	dl(dt1(bscRef+3, dtap(0, []byte{0x83, 0x07})))
	ul(dt1(mscRef+3, dtap(0, []byte{0x03, 0x0f})))
	ul(dt1(mscRef+3, dtap(0, []byte{0x03, 0x25, 0x02, 0xe0, 0x90})))
	dl(dt1(bscRef+3, dtap(0, []byte{0x83, 0x2d})))
	ul(dt1(mscRef+3, dtap(0, []byte{0x03, 0x2a})))
	ul(dt1(mscRef+3, bssmap(0x22, tlvIE(0x04, []byte{0x20}))))

	// Mobile-terminated: paging (IMSI, TMSI, LAC list), paging response, setup
	// with calling party number.
	dl(udt(bssCalling, bssCalled, bssmap(0x52, tlvIE(0x08, mobileID(1, imsi1)), tlvIE(0x09, u32(0x1a2b3c4d)),
		tlvIE(0x1a, cat([]byte{0x05}, u16(0x1001), u16(0x1002))))))
	dl(udt(bssCalling, bssCalled, bssmap(0x52, tlvIE(0x08, mobileID(1, imsi2)),
		tlvIE(0x1a, cat([]byte{0x00}, cgi("262", "01", 0x1001, 0x2001), cgi("262", "01", 0x1002, 0x2002))))))
	ul(co(bscRef+4, cat([]byte{0x06, 0x27, 0x07}, lvb([]byte{0x57, 0x58, 0xa6}), lvb(tmsiID(0x1a2b3c4d)))))
	dl(cc(bscRef+4, mscRef+4))
	dl(dt1(bscRef+4, dtap(0, cat([]byte{0x03, 0x05}, tlvIE(0x04, []byte{0xa0}), tlvIE(0x5c, cat([]byte{0x11, 0x80}, tbcd("4930123456")))))))
	ul(dt1(mscRef+4, dtap(0, []byte{0x83, 0x08})))

	// SMS on SAPI 3 (DLCI 3): MO CP-DATA RP-DATA with SMS-SUBMIT, CP-ACK, MT.
	submit := cat([]byte{0x01, 0x00, 0x0b, 0x91}, tbcd("49170111222"), []byte{0x00, 0x00, 0x05, 0xe8, 0x32, 0x9b, 0xfd, 0x06})
	deliver := cat([]byte{0x04, 0x0b, 0x91}, tbcd("49170333444"), []byte{0x00, 0x00, 0x21, 0x10, 0x21, 0x11, 0x22, 0x33, 0x00, 0x05, 0xe8, 0x32, 0x9b, 0xfd, 0x06})
	ul(dt1(mscRef+4, dtap(3, cat([]byte{0x09, 0x01}, lvb(cat([]byte{0x00, 0x01, 0x00}, lvb(cat([]byte{0x91}, tbcd("491710000000"))), lvb(submit)))))))
	dl(dt1(bscRef+4, dtap(3, []byte{0x89, 0x04})))
	dl(dt1(bscRef+4, dtap(3, cat([]byte{0x89, 0x01}, lvb(cat([]byte{0x01, 0x02}, lvb(cat([]byte{0x91}, tbcd("491710000000"))), []byte{0x00}, lvb(deliver)))))))
	ul(dt1(mscRef+4, dtap(3, []byte{0x09, 0x04})))

	// USSD: SS Register with processUnstructuredSS-Request, Facility with
	// an unstructuredSS-Request result, Release Complete with the result.
	ussd := ber(0x30, ber(0x04, []byte{0x0f}), ber(0x04, []byte{0xaa, 0x98, 0x0c, 0x36, 0x02}))
	ul(dt1(mscRef+4, dtap(0, cat([]byte{0x0b, 0x3b}, tlvIE(0x1c, invoke(1, 59, ussd)), []byte{0x7f, 0x01, 0x00}))))
	dl(dt1(bscRef+4, dtap(0, cat([]byte{0x8b, 0x3a}, lvb(invoke(2, 60, ussd))))))
	ul(dt1(mscRef+4, dtap(0, cat([]byte{0x0b, 0x3a}, lvb(result(2, 60, ussd))))))
	dl(dt1(bscRef+4, dtap(0, cat([]byte{0x8b, 0x2a}, tlvIE(0x1c, result(1, 59, ussd))))))

	// Handover: required (cell list), request (serving + target), command,
	// complete, performed.
	ul(dt1(mscRef+4, bssmap(0x11, tlvIE(0x04, []byte{0x0c}), []byte{0x1b},
		tlvIE(0x1a, cat([]byte{0x01}, u16(0x1002), u16(0x2002), u16(0x1003), u16(0x2003))))))
	dl(cr(bscRef+5, bssCalled, bssCalling, bssmap(0x10, tlvIE(0x0b, []byte{0x01, 0x08, 0x01}), tlvIE(0x0a, []byte{0x01}),
		tlvIE(0x12, []byte{0x57, 0x58, 0xa6}), tlvIE(0x05, cat([]byte{0}, cgi("262", "01", 0x1001, 0x2001))),
		tlvIE(0x05, cat([]byte{0}, cgi("262", "01", 0x1002, 0x2002))), tlvIE(0x04, []byte{0x0c}), tlvIE(0x08, mobileID(1, imsi1)))))
	dl(dt1(bscRef+4, bssmap(0x13, tlvIE(0x17, []byte{0x06, 0x2b, 0x10, 0x12, 0x0a, 0x4a, 0x15, 0x01, 0x00}),
		tlvIE(0x05, cat([]byte{2}, u16(0x2002))))))
	ul(dt1(mscRef+5, bssmap(0x14, []byte{0x15, 0x00})))
	ul(dt1(mscRef+4, bssmap(0x17, tlvIE(0x04, []byte{0x0c}), tlvIE(0x05, cat([]byte{1}, u16(0x1002), u16(0x2002))))))
	// TMSI reallocation on the new cell's location area.
	dl(dt1(bscRef+4, dtap(0, cat([]byte{0x05, 0x1a}, lai("262", "01", 0x1002), lvb(tmsiID(0x5e6f7081))))))
	ul(dt1(mscRef+4, dtap(0, []byte{0x05, 0x1b})))
	return fixture{name: "a-interface.pcap", lt: layers.LinkTypeEthernet, frames: f}
}

// ---- MAP scenario (C/D interfaces), on an 802.1Q VLAN ----

func mapOps() fixture {
	vlr := &assoc{srcIP: ipVLR, dstIP: ipHLR, sp: 2905, dp: 2905, opc: vlrPC, dpc: hlrPC, tsn: 7000}
	hlr := vlr.rev()
	vlrA, hlrA, mscA, smscA := addrGT(7, "491720000001"), addrGT(6, "491720000002"), addrGT(8, "491720000003"), addrGT(8, "491710000000")
	var f [][]byte
	tv := func(a *assoc, called, calling, tc []byte) {
		f = append(f, eth(0x8100, vlan(100, 0x0800, a.ip(a.chunk(udt(called, calling, tc))))))
	}
	imsiB := func(tag byte) []byte { return ber(tag, tbcd(imsi1)) }
	subInfo := ber(0x30, ber(0xa0, berInt(0x02, 5), ber(0x81, isdn("491720000001")),
		ber(0xa3, ber(0x80, cgi("262", "01", 0x1001, 0x2001)))))

	tv(vlr, hlrA, vlrA, tcBegin(1, aarq(1, 3), invoke(1, 2, ber(0x30, imsiB(0x04), ber(0x81, isdn("491720000003")), ber(0x04, isdn("491720000001"))))))
	tv(hlr, vlrA, hlrA, tcContinue(101, 1, aare(1, 3), invoke(1, 7, ber(0x30, imsiB(0x80), ber(0x81, isdn("4917612345678")), []byte{0x82, 1, 0x0a}))))
	tv(vlr, hlrA, vlrA, tcContinue(1, 101, nil, result(1, 7, nil)))
	tv(hlr, vlrA, hlrA, tcEnd(1, nil, result(1, 2, ber(0x30, ber(0x04, isdn("491720000002"))))))
	tv(hlr, vlrA, hlrA, tcBegin(2, aarq(2, 3), invoke(1, 3, ber(0xa3, imsiB(0x04), []byte{0x0a, 1, 0}))))
	tv(vlr, hlrA, vlrA, tcEnd(2, aare(2, 3), result(1, 3, nil)))
	tv(vlr, hlrA, vlrA, tcBegin(3, aarq(27, 3), invoke(1, 67, ber(0xa3, imsiB(0x04), ber(0x80, isdn("491720000001"))))))
	tv(vlr, hlrA, vlrA, tcBegin(4, aarq(14, 3), invoke(1, 56, ber(0x30, imsiB(0x80), berInt(0x02, 1)))))
	tv(hlr, vlrA, hlrA, tcEnd(4, aare(14, 3), rerror(1, 1)))
	tv(vlr, hlrA, vlrA, tcBegin(5, aarq(32, 3), invoke(1, 23, ber(0x30, imsiB(0x04), ber(0x04, isdn("491720000009")), ber(0x04, []byte{0x04, 10, 0, 9, 9})))))
	tv(hlr, vlrA, hlrA, tcEnd(5, aare(32, 3), result(1, 23, ber(0x30, ber(0x04, isdn("491720000002"))))))
	tv(vlr, hlrA, mscA, tcBegin(6, aarq(5, 3), invoke(1, 22, ber(0x30, ber(0x80, isdn("4917612345678")), []byte{0x83, 1, 0}, ber(0x86, isdn("491720000003"))))))
	tv(hlr, mscA, hlrA, tcEnd(6, aare(5, 3), result(1, 22, ber(0xa3, imsiB(0x89), ber(0x04, isdn("4917699999"))))))
	tv(hlr, hlrA, smscA, tcBegin(7, aarq(20, 3), invoke(1, 45, ber(0x30, ber(0x80, isdn("4917612345678")), []byte{0x81, 1, 0xff}, ber(0x82, isdn("491710000000"))))))
	tv(hlr, smscA, hlrA, tcEnd(7, aare(20, 3), result(1, 45, ber(0x30, imsiB(0x04), ber(0xa0, ber(0x81, isdn("491720000003")))))))
	submit := cat([]byte{0x01, 0x00, 0x0b, 0x91}, tbcd("49170111222"), []byte{0x00, 0x00, 0x05, 0xe8, 0x32, 0x9b, 0xfd, 0x06})
	deliver := cat([]byte{0x04, 0x0b, 0x91}, tbcd("49170333444"), []byte{0x00, 0x00, 0x21, 0x10, 0x21, 0x11, 0x22, 0x33, 0x00, 0x05, 0xe8, 0x32, 0x9b, 0xfd, 0x06})
	tv(vlr, smscA, mscA, tcBegin(8, aarq(21, 3), invoke(1, 46, ber(0x30, ber(0x84, isdn("491710000000")), ber(0x82, isdn("4917612345678")), ber(0x04, submit)))))
	tv(hlr, mscA, smscA, tcBegin(9, aarq(25, 3), invoke(1, 44, ber(0x30, imsiB(0x80), ber(0x84, isdn("491710000000")), ber(0x04, deliver)))))
	tv(hlr, vlrA, hlrA, tcBegin(10, aarq(28, 3), invoke(1, 70, ber(0x30, imsiB(0x80), ber(0xa2, []byte{0x80, 0}, []byte{0x81, 0})))))
	tv(vlr, hlrA, vlrA, tcEnd(10, aare(28, 3), result(1, 70, ber(0x30, subInfo))))
	tv(hlr, hlrA, addrGT(147, "491720000077"), tcBegin(11, aarq(29, 3), invoke(1, 71, ber(0x30, ber(0xa0, ber(0x81, isdn("4917612345678"))), ber(0xa1, []byte{0x80, 0}), ber(0x83, isdn("491720000077"))))))
	tv(vlr, hlrA, vlrA, tcBegin(12, aarq(19, 2), invoke(1, 59, ber(0x30, ber(0x04, []byte{0x0f}), ber(0x04, []byte{0xaa, 0x98, 0x0c, 0x36, 0x02}), ber(0x80, isdn("4917612345678"))))))
	tv(hlr, vlrA, hlrA, tcEnd(12, aare(19, 2), result(1, 59, ber(0x30, ber(0x04, []byte{0x0f}), ber(0x04, []byte{0xaa, 0x98, 0x0c, 0x36, 0x02})))))
	tv(vlr, hlrA, vlrA, tcBegin(13, aarq(23, 3), invoke(1, 66, ber(0x30, imsiB(0x80), []byte{0x0a, 1, 0}))))
	tv(vlr, addrGT(9, "491720000099"), mscA, tcBegin(14, aarq(11, 3), invoke(1, 43, ber(0x30, ber(0x04, tbcd(imei1+"0")), []byte{0x03, 2, 6, 0x80}))))
	tv(vlr, mscA, addrGT(9, "491720000099"), tcEnd(14, aare(11, 3), result(1, 43, ber(0x30, []byte{0x0a, 1, 0}))))
	// A reject component and a P-Abort: no MAP operation to report.
	tv(hlr, vlrA, hlrA, tcEnd(15, nil, ber(0xa4, berInt(0x02, 1), []byte{0x81, 1, 1})))
	tv(hlr, vlrA, hlrA, ber(0x67, ber(0x49, u32(16)), []byte{0x4a, 1, 1}))
	// sendIdentification (inter-VLR location update, TS 23.012): the new
	// VLR asks the old one for the IMSI behind a TMSI, v3 then v2. The v3
	// result hands over two triplets and a UMTS security context whose CK
	// must not pass for a RAND.
	oldA, newA := addrGT(7, "491720000011"), addrGT(7, "491720000012")
	rnd := func(b byte) []byte { return cat([]byte{b}, make([]byte, 14), []byte{b}) }
	triplet := func(b byte) []byte {
		return ber(0x30, ber(0x04, rnd(b)), ber(0x04, u32(0x5e5e5e5e)), ber(0x04, make([]byte, 8)))
	}
	tv(vlr, oldA, newA, tcBegin(17, aarq(15, 3), invoke(1, 55, ber(0x30, ber(0x04, u32(0x1a2b3c4d)), berInt(0x02, 2),
		ber(0x04, isdn("491720000003")), ber(0x80, lai("262", "01", 0x1001)), ber(0x83, isdn("491720000012"))))))
	tv(hlr, newA, oldA, tcEnd(17, aare(15, 3), result(1, 55, ber(0xa3, imsiB(0x04), ber(0xa0, triplet(0x11), triplet(0x22)),
		ber(0xa2, ber(0xa1, ber(0x04, rnd(0x33)), ber(0x04, rnd(0x44)), ber(0x04, []byte{1})))))))
	tv(vlr, oldA, newA, tcBegin(18, aarq(15, 2), invoke(1, 55, ber(0x04, u32(0x0badcafe)))))
	tv(hlr, newA, oldA, tcEnd(18, aare(15, 2), result(1, 55, ber(0x30, ber(0x04, tbcd(imsi2)), ber(0x30, triplet(0x55))))))
	return fixture{name: "map-ops.pcap", lt: layers.LinkTypeEthernet, frames: f}
}

// mapErrors: a returnError for every local error code from 1 to 75 (those
// of TS 29.002's MAP-Errors module, MAP v2's and unassigned ones), each
// ending a sendRoutingInfoForSM dialogue.
func mapErrors() fixture {
	hlr := &assoc{srcIP: ipHLR, dstIP: ipVLR, sp: 2905, dp: 2905, opc: hlrPC, dpc: vlrPC, tsn: 8000}
	hlrA, smscA := addrGT(6, "491720000002"), addrGT(8, "491710000000")
	var f [][]byte
	for code := 1; code <= 75; code++ {
		f = append(f, hlr.frame(udt(smscA, hlrA, tcEnd(uint32(1000+code), aare(20, 3), rerror(1, code)))))
	}
	return fixture{name: "map-errors.pcap", lt: layers.LinkTypeEthernet, frames: f}
}

// udtsFixture: an SMSC's sendRoutingInfoForSM that an STP cannot route
// comes back to it in a UDTS (return cause 1, no translation for an address
// of such nature), between two the network delivers.
func udtsFixture() fixture {
	smsc := &assoc{srcIP: ipMSC, dstIP: ipHLR, sp: 2905, dp: 2905, opc: msc, dpc: hlrPC, tsn: 700}
	stp := smsc.rev()
	hlrA, smscA := addrGT(6, "491720000002"), addrGT(8, "491710000000")
	sri := func(otid uint32, msisdn string) []byte {
		return tcBegin(otid, aarq(20, 3), invoke(1, 45, ber(0x30, ber(0x80, isdn(msisdn)), []byte{0x81, 1, 0xff},
			ber(0x82, isdn("491710000000")))))
	}
	return fixture{name: "udts.pcap", lt: layers.LinkTypeEthernet, frames: [][]byte{
		smsc.frame(udt(hlrA, smscA, sri(51, "4917612345678"))),
		smsc.frame(udt(addrGT(6, "999999999999"), smscA, sri(52, "4917687654321"))),
		stp.frame(udts(0x01, smscA, addrGT(6, "999999999999"), sri(52, "4917687654321"))),
		smsc.frame(udt(hlrA, smscA, sri(53, "4917600000003"))),
	}}
}

// ---- multi-homed SCTP ----

// mhPeer is one endpoint of a multi-homed association: two addresses, a
// port, the tag its peer puts on packets to it, and its next TSN.
type mhPeer struct {
	ip   [2][4]byte
	port int
	tag  uint32
	tsn  uint32
	pc   uint32
}

// pkt is a frame from p to q over path i (0 primary, 1 alternate).
func (p *mhPeer) pkt(q *mhPeer, i int, chunks ...[]byte) []byte {
	return eth(0x0800, ipv4(p.ip[i], q.ip[i], int(p.tsn&0xffff), 0x4000, sctpPkt(p.port, q.port, q.tag, chunks...)))
}

// data is one whole M3UA message in a DATA chunk with the next TSN.
func (p *mhPeer) data(q *mhPeer, sccp []byte) []byte {
	p.tsn++
	return dataChunk(3, p.tsn, 1, int(p.tsn&0xffff), 3, m3uaData(p.pc, q.pc, 2, 0, sccp))
}

// multiHomed: three associations whose endpoints have two addresses each
// (RFC 9260 6.4). A VLR and an HLR start theirs with INIT / INIT ACK and
// then use both paths: a retransmission and the last fragment of a message
// take the alternate path. The second association was up before the
// capture: its tags are learned from a SACK and its peer answers on the
// alternate path first. In the third the two directions' first packets go
// over different paths, until the first packet of one on the other's path
// joins them.
func multiHomed() fixture {
	vlrA, hlrA := addrGT(7, "491720000001"), addrGT(6, "491720000002")
	var f [][]byte
	begin := func(otid uint32, imsi string) []byte {
		return udt(hlrA, vlrA, tcBegin(otid, aarq(14, 3), invoke(1, 56, ber(0x30, ber(0x80, tbcd(imsi)), berInt(0x02, 1)))))
	}
	end := func(dtid uint32) []byte {
		return udt(vlrA, hlrA, tcEnd(dtid, aare(14, 3), result(1, 56, nil)))
	}

	vlr := &mhPeer{ip: [2][4]byte{{10, 2, 0, 1}, {10, 3, 0, 1}}, port: 40001, tag: 0xb2b2b2b2, tsn: 100, pc: vlrPC}
	hlr := &mhPeer{ip: [2][4]byte{{10, 2, 0, 2}, {10, 3, 0, 2}}, port: 2905, tag: 0xa1a1a1a1, tsn: 500, pc: hlrPC}
	vlr.tag, hlr.tag = 0, 0xa1a1a1a1
	f = append(f, vlr.pkt(hlr, 0, initChunk(1, 0xa1a1a1a1, 101, vlr.ip[0], vlr.ip[1]))) // 1 INIT (tag 0)
	vlr.tag = 0xb2b2b2b2
	f = append(f, hlr.pkt(vlr, 0, initChunk(2, 0xb2b2b2b2, 501, hlr.ip[0], hlr.ip[1]))) // 2 INIT ACK
	f = append(f, vlr.pkt(hlr, 0, vlr.data(hlr, begin(21, imsi1))))                     // 3 Begin, primary
	f = append(f, hlr.pkt(vlr, 0, sackChunk(vlr.tsn), hlr.data(vlr, end(21))))          // 4 End, primary
	lost := vlr.data(hlr, begin(22, imsi2))
	f = append(f, vlr.pkt(hlr, 0, lost))                                       // 5 Begin, primary
	f = append(f, vlr.pkt(hlr, 1, lost))                                       // 6 its retransmission, alternate
	f = append(f, hlr.pkt(vlr, 1, sackChunk(vlr.tsn), hlr.data(vlr, end(22)))) // 7 End, alternate
	msg := m3uaData(vlr.pc, hlr.pc, 2, 0, begin(23, imsi1))
	half := len(msg) / 2
	f = append(f, vlr.pkt(hlr, 0, dataChunk(2, vlr.tsn+1, 2, 0, 3, msg[:half]))) // 8 first fragment, primary
	f = append(f, vlr.pkt(hlr, 1, dataChunk(1, vlr.tsn+2, 2, 0, 3, msg[half:]))) // 9 last fragment, alternate
	vlr.tsn += 2

	// Up before the capture: no INIT; the HLR's SACK teaches its tag.
	v2 := &mhPeer{ip: [2][4]byte{{10, 4, 0, 1}, {10, 5, 0, 1}}, port: 40002, tag: 0xc3c3c3c3, tsn: 9000, pc: vlrPC}
	h2 := &mhPeer{ip: [2][4]byte{{10, 4, 0, 2}, {10, 5, 0, 2}}, port: 2905, tag: 0xd4d4d4d4, tsn: 7000, pc: hlrPC}
	f = append(f, v2.pkt(h2, 0, v2.data(h2, begin(31, imsi2)))) // 10 Begin, primary
	f = append(f, h2.pkt(v2, 0, sackChunk(v2.tsn)))             // 11 SACK, primary
	endMsg := h2.data(v2, end(31))
	f = append(f, h2.pkt(v2, 1, endMsg)) // 12 End, alternate: first HLR DATA
	f = append(f, h2.pkt(v2, 0, endMsg)) // 13 its retransmission, primary

	// Each direction's first packet on its own path.
	v3 := &mhPeer{ip: [2][4]byte{{10, 6, 0, 1}, {10, 7, 0, 1}}, port: 40003, tag: 0xe5e5e5e5, tsn: 300, pc: vlrPC}
	h3 := &mhPeer{ip: [2][4]byte{{10, 6, 0, 2}, {10, 7, 0, 2}}, port: 2905, tag: 0xf6f6f6f6, tsn: 800, pc: hlrPC}
	f = append(f, v3.pkt(h3, 0, v3.data(h3, begin(41, imsi1)))) // 14 Begin, primary
	f = append(f, h3.pkt(v3, 1, h3.data(v3, end(41))))          // 15 End, alternate: a separate association so far
	f = append(f, v3.pkt(h3, 1, v3.data(h3, begin(42, imsi2)))) // 16 Begin on the End's path: joins the End's association
	f = append(f, h3.pkt(v3, 1, h3.data(v3, end(42))))          // 17 End, alternate
	return fixture{name: "multihomed.pcap", lt: layers.LinkTypeEthernet, frames: f}
}

// ---- transport variants ----

func transport() fixture {
	a := &assoc{srcIP: ipBSC, dstIP: ipMSC, sp: 2905, dp: 2905, opc: bsc, dpc: msc, tsn: 300}
	called, calling := addrSSN(msc, 254), addrSSN(bsc, 254)
	paging := func(t uint32) []byte {
		return udt(calling, called, bssmap(0x52, tlvIE(0x08, mobileID(1, imsi1)), tlvIE(0x09, u32(t)),
			tlvIE(0x1a, cat([]byte{0x05}, u16(0x1001)))))
	}
	var f [][]byte
	// Bundled: SACK + three DATA chunks in one packet.
	f = append(f, eth(0x0800, a.ip(sackChunk(77), a.chunk(paging(1)), a.chunk(paging(2)), a.chunk(paging(3)))))
	// Retransmission of the same three chunks: counted, not reported.
	f = append(f, f[0])
	// One M3UA message fragmented over three DATA chunks in three packets.
	a.tsn++
	msg := m3uaData(a.opc, a.dpc, 2, 1, paging(4))
	n := len(msg) / 3
	f = append(f,
		eth(0x0800, a.ip(dataChunk(2, a.tsn, 2, 9, 3, msg[:n]))),
		eth(0x0800, a.ip(dataChunk(0, a.tsn+1, 2, 9, 3, msg[n:2*n]))),
		eth(0x0800, a.ip(dataChunk(1, a.tsn+2, 2, 9, 3, msg[2*n:]))))
	a.tsn += 2
	// An IPv4-fragmented SCTP packet (two fragments, 8-byte aligned split).
	pkt := sctpPkt(a.sp, a.dp, 0x1000+uint32(a.sp), a.chunk(paging(5)))
	cut := 48
	f = append(f,
		eth(0x0800, ipv4(a.srcIP, a.dstIP, 0x4242, 0x2000, pkt[:cut])),
		eth(0x0800, ipv4(a.srcIP, a.dstIP, 0x4242, cut/8, pkt[cut:])))
	// QinQ, and IPv6.
	f = append(f, eth(0x88a8, vlan(10, 0x8100, vlan(20, 0x0800, a.ip(a.chunk(paging(6)))))))
	v6a, v6b := [16]byte{0x20, 0x01, 0x0d, 0xb8, 15: 1}, [16]byte{0x20, 0x01, 0x0d, 0xb8, 15: 2}
	f = append(f, eth(0x86dd, ipv6(v6a, v6b, sctpPkt(2905, 2905, 7, a.chunk(paging(7))))))
	// M3UA management (ASP Up) is counted and skipped.
	f = append(f, eth(0x0800, a.ip(dataChunk(3, a.tsn+1, 0, 0, 3, m3uaASPUP()))))
	a.tsn++
	// A MAP insertSubscriberData in two segmented XUDTs.
	big := tcBegin(77, aarq(16, 3), invoke(1, 7, ber(0x30, ber(0x80, tbcd(imsi2)), ber(0x81, isdn("4917600000001")),
		ber(0xa5, make([]byte, 180)))))
	vlrA, hlrA := addrGT(7, "491720000001"), addrGT(6, "491720000002")
	h := &assoc{srcIP: ipHLR, dstIP: ipVLR, sp: 2905, dp: 2906, opc: hlrPC, dpc: vlrPC, tsn: 9000}
	f = append(f,
		eth(0x0800, h.ip(h.chunk(xudt(vlrA, hlrA, big[:120], segParam(true, 1, 0x55))))),
		eth(0x0800, h.ip(h.chunk(xudt(vlrA, hlrA, big[120:], segParam(false, 0, 0x55))))))
	// An Iu-CS (RANAP, SSN 142) connection: its DT1 happens to be framed
	// like BSSAP but belongs to RANAP, out of scope.
	ranapA, mscA := addrSSN(msc, 142), addrSSN(bsc, 142)
	b := a.rev()
	f = append(f,
		eth(0x0800, a.ip(a.chunk(cr(0x777, ranapA, mscA, []byte{0x00, 0x13, 0x40, 0x00})))),
		eth(0x0800, b.ip(b.chunk(cc(0x777, 0x888)))),
		eth(0x0800, a.ip(a.chunk(dt1(0x888, []byte{0x00, 0x04, 0x40, 0x01, 0x00, 0x00})))))
	return fixture{name: "transport.pcapng", lt: layers.LinkTypeEthernet, ng: true, frames: f}
}

func sllFixture(two bool) fixture {
	a := &assoc{srcIP: ipBSC, dstIP: ipMSC, sp: 2905, dp: 2905, opc: bsc, dpc: msc, tsn: 400}
	called, calling := addrSSN(msc, 254), addrSSN(bsc, 254)
	var f [][]byte
	for i := 0; i < 2; i++ {
		ip := a.ip(a.chunk(udt(called, calling, bssmap(0x52, tlvIE(0x08, mobileID(1, imsi2)), tlvIE(0x1a, cat([]byte{0x04}, lai("262", "01", 0x1003+i)))))))
		if two {
			f = append(f, sll2(ip))
		} else {
			f = append(f, sll(ip))
		}
	}
	if two {
		return fixture{name: "sll2.pcap", lt: layers.LinkTypeLinuxSLL2, frames: f}
	}
	return fixture{name: "sll.pcap", lt: layers.LinkTypeLinuxSLL, frames: f}
}

func rawFixture() fixture {
	a := &assoc{srcIP: ipVLR, dstIP: ipHLR, sp: 2905, dp: 2905, opc: vlrPC, dpc: hlrPC, tsn: 500}
	ip := a.ip(a.chunk(udt(addrGT(6, "491720000002"), addrGT(7, "491720000001"),
		tcBegin(1, aarq(1, 3), invoke(1, 2, ber(0x30, ber(0x04, tbcd(imsi2)), ber(0x81, isdn("491720000003")), ber(0x04, isdn("491720000001"))))))))
	return fixture{name: "raw-ip.pcap", lt: layers.LinkTypeRaw, frames: [][]byte{ip}}
}

// m2pa: MAP over M2PA/MTP3 (PPID 5), as STP links carry it.
func m2paFixture() fixture {
	sccp := udt(addrGT(6, "491720000002"), addrGT(8, "491710000000"),
		tcBegin(3, aarq(20, 3), invoke(1, 45, ber(0x30, ber(0x80, isdn("4917612345678")), []byte{0x81, 1, 0xff}, ber(0x82, isdn("491710000000"))))))
	msu := mtp3(2, 1234, 2345, 5, sccp)
	pkt := sctpPkt(3565, 3565, 99, dataChunk(3, 1, 1, 0, 5, m2paUserData(0xffffff, 0, msu)))
	return fixture{name: "m2pa.pcap", lt: layers.LinkTypeEthernet, frames: [][]byte{eth(0x0800, ipv4(ipMSC, ipHLR, 1, 0x4000, pkt))}}
}

// mtp2: a classic E1 link capture (LINKTYPE_MTP2) with a BSSMAP paging.
func mtp2Fixture() fixture {
	sccp := udt(addrSSN(bsc, 254), addrSSN(msc, 254), bssmap(0x52, tlvIE(0x08, mobileID(1, imsi1)), tlvIE(0x1a, cat([]byte{0x05}, u16(0x1001)))))
	msu := mtp3(2, msc, bsc, 1, sccp)
	li := len(msu)
	if li > 63 {
		li = 63
	}
	return fixture{name: "mtp2.pcap", lt: layers.LinkTypeMTP2, frames: [][]byte{
		{0x80, 0x80, 0x00},                     // FISU
		cat([]byte{0x81, 0x81, byte(li)}, msu), // MSU
	}}
}

// mtp3: LINKTYPE_MTP3 with a long (LUDT) MAP message and a paging UDT.
func mtp3Fixture() fixture {
	big := tcBegin(78, aarq(16, 3), invoke(1, 7, ber(0x30, ber(0x80, tbcd(imsi1)), ber(0x81, isdn("4917600000002")),
		ber(0xa5, make([]byte, 300)))))
	return fixture{name: "mtp3.pcap", lt: layers.LinkTypeMTP3, frames: [][]byte{
		mtp3(2, hlrPC, vlrPC, 3, ludt(addrGT(7, "491720000001"), addrGT(6, "491720000002"), big)),
		mtp3(2, msc, bsc, 1, udt(addrSSN(bsc, 254), addrSSN(msc, 254), bssmap(0x52, tlvIE(0x08, mobileID(1, imsi2)),
			tlvIE(0x1a, cat([]byte{0x02}, u16(0x2001), u16(0x2002)))))),
	}}
}

// checksumFixture: pagings whose packets were corrupted on the way to the
// tap (a wrong SCTP CRC32c, a wrong IPv4 header checksum) or captured
// before checksum offload (an all-zero CRC32c field), between good ones.
func checksumFixture() fixture {
	a := &assoc{srcIP: ipMSC, dstIP: ipBSC, sp: 2905, dp: 2905, opc: msc, dpc: bsc, tsn: 600}
	called, calling := addrSSN(bsc, 254), addrSSN(msc, 254)
	paging := func(imsi string, t uint32) []byte {
		return a.frame(udt(called, calling, bssmap(0x52, tlvIE(0x08, mobileID(1, imsi)), tlvIE(0x09, u32(t)),
			tlvIE(0x1a, cat([]byte{0x05}, u16(0x1001))))))
	}
	const sctpOff = 14 + 20
	good := paging(imsi1, 0x0101)
	// One IMSI digit changed after the checksum was computed: without the
	// check this would be a subscriber nobody has.
	badCRC := paging(imsi2, 0x0202)
	i := bytes.Index(badCRC, mobileID(1, imsi2))
	badCRC[i+3] ^= 0x10
	offloaded := paging(imsi2, 0x0303)
	copy(offloaded[sctpOff+8:sctpOff+12], []byte{0, 0, 0, 0})
	badIP := paging(imsi2, 0x0404)
	badIP[14+15] ^= 0x01 // source address: the SCTP checksum does not cover it
	return fixture{name: "checksums.pcap", lt: layers.LinkTypeEthernet,
		frames: [][]byte{good, badCRC, offloaded, badIP, paging(imsi1, 0x0505)}}
}

func allFixtures() []fixture {
	return []fixture{aInterface(), mapOps(), transport(), sllFixture(false), sllFixture(true), rawFixture(), m2paFixture(),
		mtp2Fixture(), mtp3Fixture(), checksumFixture(), mapErrors(), multiHomed(), udtsFixture()}
}

// TestWriteFixtures regenerates testdata/ (pcaps and tshark goldens).
func TestWriteFixtures(t *testing.T) {
	if !*writeFixtures {
		t.Skip("fixture writer: run with -write-fixtures (needs tshark for the goldens)")
	}
	if err := os.MkdirAll("testdata", 0o755); err != nil {
		t.Fatal(err)
	}
	ts := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, fx := range allFixtures() {
		path := filepath.Join("testdata", fx.name)
		out, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		write := func(ci gopacket.CaptureInfo, b []byte) error { return nil }
		var ng *pcapgo.NgWriter
		if fx.ng {
			ng, err = pcapgo.NewNgWriter(out, fx.lt)
			if err != nil {
				t.Fatal(err)
			}
			write = ng.WritePacket
		} else {
			w := pcapgo.NewWriterNanos(out)
			if err := w.WriteFileHeader(65535, fx.lt); err != nil {
				t.Fatal(err)
			}
			write = w.WritePacket
		}
		for i, fr := range fx.frames {
			ci := gopacket.CaptureInfo{Timestamp: ts.Add(time.Duration(i) * 10 * time.Millisecond), CaptureLength: len(fr), Length: len(fr)}
			if err := write(ci, fr); err != nil {
				t.Fatal(err)
			}
		}
		if ng != nil {
			if err := ng.Flush(); err != nil {
				t.Fatal(err)
			}
		}
		out.Close()
		args := []string{"-r", path, "-Y", goldenFilter, "-T", "fields", "-E", "header=y", "-E", "separator=/t",
			"-E", "occurrence=a", "-E", "aggregator=,"}
		for _, f := range goldenFields {
			args = append(args, "-e", f)
		}
		gold, err := exec.Command("tshark", args...).Output()
		if err != nil {
			t.Fatalf("tshark on %s: %v", path, err)
		}
		if err := os.WriteFile(path+".tshark.tsv", gold, 0o644); err != nil {
			t.Fatal(err)
		}
		if fx.name == "map-errors.pcap" {
			writeErrorNames(t, path)
		}
		t.Logf("%s: %d frames, %d golden rows", fx.name, len(fx.frames), strings.Count(string(gold), "\n")-1)
	}
}

// writeErrorNames writes FILE.names.tsv: each local error code in a
// returnError of the capture and the name tshark gives it ("Unknown" where
// it knows none), from tshark's packet details.
func writeErrorNames(t *testing.T, path string) {
	out, err := exec.Command("tshark", "-r", path, "-V").Output()
	if err != nil {
		t.Fatalf("tshark -V on %s: %v", path, err)
	}
	re := regexp.MustCompile(`^\s*localValue: (\S+) \((\d+)\)$`)
	var b strings.Builder
	b.WriteString("code\tname\n")
	inError := false
	for _, line := range strings.Split(string(out), "\n") {
		switch {
		case strings.HasSuffix(line, "returnError"):
			inError = true
		case inError:
			if m := re.FindStringSubmatch(line); m != nil {
				fmt.Fprintf(&b, "%s\t%s\n", m[2], m[1])
				inError = false
			}
		}
	}
	if err := os.WriteFile(path+".names.tsv", []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}
