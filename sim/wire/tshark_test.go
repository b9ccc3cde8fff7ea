package wire

import (
	"bufio"
	"bytes"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/sigprobe/sigprobe/internal/envtest"
)

// Test identities (TS 23.003): a 2-digit and a 3-digit MNC network.
var (
	plmnDE  = PLMN{MCC: "262", MNC: "01"}
	plmnUS  = PLMN{MCC: "310", MNC: "260"}
	laiA    = LAI{PLMN: plmnDE, LAC: 0x1234}
	laiB    = LAI{PLMN: plmnDE, LAC: 0x0101}
	cellA   = CGI{LAI: laiA, CI: 0x4e21}
	cellB   = CGI{LAI: laiB, CI: 0x0007}
	cellUS  = CGI{LAI: LAI{PLMN: plmnUS, LAC: 0x00aa}, CI: 0xbeef}
	imsi1   = "262011234567890"
	imsi2   = "310260000012345"
	imeisv1 = "3534900698733190"
	imei1   = "353490069873319"
	msisdn1 = "4917212345678"
	msisdn2 = "4917298765432"
	smsc    = "4917200000100"
	hlrGT   = "4917200000001"
	vlrGT   = "4917200000002"
	mscGT   = "4917200000003"
	gmscGT  = "4917200000004"
	scfGT   = "4917200000005"
	msrn    = "4917299000123"
	kc      = [8]byte{1, 2, 3, 4, 5, 6, 7, 8}
	rand16  = [16]byte{0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}
)

func hex4(v uint16) string { return fmt.Sprintf("0x%04x", v) }
func hex2(v uint8) string  { return fmt.Sprintf("0x%02x", v) }
func ref(v uint32) string  { return fmt.Sprintf("0x%06x", v) }

// buildCapture writes every message kind of the package, each wrapped as on
// a real A or C/D interface.
func buildCapture(t *testing.T) *capture {
	c := newCapture(t)
	// A interface: BSC (PC 100) <-> MSC (PC 200).
	a := &link{
		ep:   [2]Endpoint{{MAC: [6]byte{2, 0, 0, 0, 0, 1}, IP: [4]byte{10, 0, 0, 1}, Port: 2905}, {MAC: [6]byte{2, 0, 0, 0, 0, 2}, IP: [4]byte{10, 0, 0, 2}, Port: 2905}},
		pc:   [2]uint32{100, 200},
		vtag: [2]uint32{0x11111111, 0x22222222},
	}
	// A interface to a second BSC (PC 101) on VLAN 42, for handover.
	a2 := &link{
		ep:   [2]Endpoint{{MAC: [6]byte{2, 0, 0, 0, 0, 3}, IP: [4]byte{10, 0, 0, 3}, Port: 2905}, {MAC: [6]byte{2, 0, 0, 0, 0, 2}, IP: [4]byte{10, 0, 0, 2}, Port: 2906}},
		pc:   [2]uint32{101, 200},
		vtag: [2]uint32{0x33333333, 0x44444444},
		vlan: 42,
	}
	// C/D interface: MSC/VLR (PC 200) <-> HLR (PC 300).
	m := &link{
		ep:   [2]Endpoint{{MAC: [6]byte{2, 0, 0, 0, 0, 2}, IP: [4]byte{10, 0, 1, 2}, Port: 2905}, {MAC: [6]byte{2, 0, 0, 0, 0, 4}, IP: [4]byte{10, 0, 1, 4}, Port: 2905}},
		pc:   [2]uint32{200, 300},
		vtag: [2]uint32{0x55555555, 0x66666666},
	}
	bsc := Addr{SSN: SSNBSSAP, PC: 100, HasPC: true}
	bsc2 := Addr{SSN: SSNBSSAP, PC: 101, HasPC: true}
	msc := Addr{SSN: SSNBSSAP, PC: 200, HasPC: true}
	const up, down = 0, 1

	var l3, ap, sc, fac []byte
	dtap := func(dlci uint8) []byte { ap = DTAP(ap[:0], dlci, l3); return ap }
	dt1 := func(name string, l *link, dir int, dlr uint32, pdu []byte, w want) {
		w["sccp.message_type"] = "0x06"
		w["sccp.dlr"] = ref(dlr)
		sc = DT1(sc[:0], dlr, pdu)
		c.send(name, l, dir, sc, w)
	}
	mm := func(t uint8) string { return hex2(t) }

	// --- BSSMAP Reset / Reset Ack (UDT to SSN 254) ---
	ap = Reset(ap[:0], BSSCauseEquipmentFailure)
	sc = UDT(sc[:0], Class0, msc, bsc, ap)
	c.send("Reset", a, up, sc, want{"sccp.message_type": "0x09", "gsm_a.bssmap.msgtype": "0x30"})
	ap = ResetAck(ap[:0])
	sc = UDT(sc[:0], Class0, bsc, msc, ap)
	c.send("ResetAck", a, down, sc, want{"sccp.message_type": "0x09", "gsm_a.bssmap.msgtype": "0x31"})

	// --- Location update with IMSI, authentication, ciphering, IMEISV, TMSI ---
	const slr1, dlr1 = 0x000101, 0x000a01
	l3 = LURequest(l3[:0], LUIMSIAttach, 7, laiB, MobileID{Type: IDIMSI, Digits: imsi1})
	ap = CompleteL3(ap[:0], CellDiscCGI, cellA, l3)
	sc = CR(sc[:0], slr1, msc, bsc, ap)
	c.send("CR CompleteL3 LURequest", a, up, sc, want{"sccp.message_type": "0x01", "sccp.slr": ref(slr1),
		"gsm_a.bssmap.msgtype": "0x57", "gsm_a.dtap.msg_mm_type": mm(MMLURequest), "e212.imsi": imsi1,
		"e212.lai.mcc": "262", "e212.lai.mnc": "1", "gsm_a.lac": hex4(laiB.LAC), "gsm_a.bssmap.cell_lac": hex4(laiA.LAC), "gsm_a.bssmap.cell_ci": hex4(cellA.CI)})
	sc = CC(sc[:0], slr1, dlr1)
	c.send("CC", a, down, sc, want{"sccp.message_type": "0x02", "sccp.slr": ref(dlr1), "sccp.dlr": ref(slr1)})
	l3 = AuthRequest(l3[:0], 0, &rand16)
	dt1("AuthRequest", a, down, slr1, dtap(DLCISAPI0), want{"gsm_a.dtap.msg_mm_type": mm(MMAuthRequest)})
	l3 = AuthResponse(l3[:0], [4]byte{0xa1, 0xb2, 0xc3, 0xd4})
	dt1("AuthResponse", a, up, dlr1, dtap(DLCISAPI0), want{"gsm_a.dtap.msg_mm_type": mm(MMAuthResponse)})
	ap = CipherModeCommand(ap[:0], &kc)
	dt1("CipherModeCommand", a, down, slr1, ap, want{"gsm_a.bssmap.msgtype": "0x53"})
	ap = CipherModeComplete(ap[:0])
	dt1("CipherModeComplete", a, up, dlr1, ap, want{"gsm_a.bssmap.msgtype": "0x55"})
	l3 = IdentityRequest(l3[:0], IDIMEISV)
	dt1("IdentityRequest", a, down, slr1, dtap(DLCISAPI0), want{"gsm_a.dtap.msg_mm_type": mm(MMIdentityRequest)})
	l3 = IdentityResponse(l3[:0], MobileID{Type: IDIMEISV, Digits: imeisv1})
	dt1("IdentityResponse IMEISV", a, up, dlr1, dtap(DLCISAPI0), want{"gsm_a.dtap.msg_mm_type": mm(MMIdentityResponse), "gsm_a.imeisv": imeisv1})
	l3 = LUAccept(l3[:0], laiA, 0x1a2b3c4d, true)
	dt1("LUAccept", a, down, slr1, dtap(DLCISAPI0), want{"gsm_a.dtap.msg_mm_type": mm(MMLUAccept), "3gpp.tmsi": "439041101",
		"e212.lai.mcc": "262", "e212.lai.mnc": "1", "gsm_a.lac": hex4(laiA.LAC)})
	l3 = TMSIReallocComplete(l3[:0])
	dt1("TMSIReallocComplete", a, up, dlr1, dtap(DLCISAPI0), want{"gsm_a.dtap.msg_mm_type": mm(MMTMSIReallocComplete)})
	ap = ClearCommand(ap[:0], BSSCauseCallControl)
	dt1("ClearCommand", a, down, slr1, ap, want{"gsm_a.bssmap.msgtype": "0x20"})
	ap = ClearComplete(ap[:0])
	dt1("ClearComplete", a, up, dlr1, ap, want{"gsm_a.bssmap.msgtype": "0x21"})
	sc = RLSD(sc[:0], slr1, dlr1, RLSDEndUserOriginated)
	c.send("RLSD", a, down, sc, want{"sccp.message_type": "0x04", "sccp.dlr": ref(slr1), "sccp.slr": ref(dlr1)})
	sc = RLC(sc[:0], dlr1, slr1)
	c.send("RLC", a, up, sc, want{"sccp.message_type": "0x05", "sccp.dlr": ref(dlr1), "sccp.slr": ref(slr1)})

	// --- Periodic LU by TMSI on a 3-digit MNC network, rejected; connection refused ---
	const slr2 = 0x000102
	l3 = LURequest(l3[:0], LUPeriodic, 1, cellUS.LAI, MobileID{Type: IDTMSI, TMSI: 0xdeadbeef})
	ap = CompleteL3(ap[:0], CellDiscLACCI, cellUS, l3)
	sc = CR(sc[:0], slr2, msc, Addr{}, ap)
	c.send("CR CompleteL3 LURequest TMSI", a, up, sc, want{"sccp.message_type": "0x01", "sccp.slr": ref(slr2),
		"gsm_a.bssmap.msgtype": "0x57", "gsm_a.dtap.msg_mm_type": mm(MMLURequest), "3gpp.tmsi": "3735928559",
		"e212.lai.mcc": "310", "e212.lai.mnc": "260", "gsm_a.lac": "0x00aa", "gsm_a.bssmap.cell_lac": "0x00aa", "gsm_a.bssmap.cell_ci": "0xbeef"})
	sc = CREF(sc[:0], slr2, CREFEndUserOriginated)
	c.send("CREF", a, down, sc, want{"sccp.message_type": "0x03", "sccp.dlr": ref(slr2)})

	// --- LU reject and IMSI detach in DT1 on a fresh connection ---
	const slr3, dlr3 = 0x000103, 0x000a03
	l3 = IMSIDetach(l3[:0], MobileID{Type: IDTMSI, TMSI: 0x1a2b3c4d})
	ap = CompleteL3(ap[:0], CellDiscCI, cellA, l3)
	sc = CR(sc[:0], slr3, msc, bsc, ap)
	c.send("CR CompleteL3 IMSIDetach", a, up, sc, want{"sccp.message_type": "0x01", "gsm_a.bssmap.msgtype": "0x57",
		"gsm_a.dtap.msg_mm_type": mm(MMIMSIDetach), "3gpp.tmsi": "439041101", "gsm_a.bssmap.cell_ci": hex4(cellA.CI)})
	sc = CC(sc[:0], slr3, dlr3)
	c.send("CC", a, down, sc, want{"sccp.message_type": "0x02"})
	l3 = LUReject(l3[:0], 11)
	dt1("LUReject", a, down, slr3, dtap(DLCISAPI0), want{"gsm_a.dtap.msg_mm_type": mm(MMLUReject)})
	l3 = IdentityRequest(l3[:0], IDIMSI)
	dt1("IdentityRequest IMSI", a, down, slr3, dtap(DLCISAPI0), want{"gsm_a.dtap.msg_mm_type": mm(MMIdentityRequest)})
	l3 = IdentityResponse(l3[:0], MobileID{Type: IDIMSI, Digits: imsi2})
	dt1("IdentityResponse IMSI", a, up, dlr3, dtap(DLCISAPI0), want{"gsm_a.dtap.msg_mm_type": mm(MMIdentityResponse), "e212.imsi": imsi2})
	l3 = IdentityResponse(l3[:0], MobileID{Type: IDIMEI, Digits: imei1})
	dt1("IdentityResponse IMEI", a, up, dlr3, dtap(DLCISAPI0), want{"gsm_a.dtap.msg_mm_type": mm(MMIdentityResponse), "gsm_a.imei": imei1})

	// --- MO call ---
	const slr4, dlr4 = 0x000104, 0x000a04
	l3 = CMServiceRequest(l3[:0], CMSvcMOCall, 2, MobileID{Type: IDTMSI, TMSI: 0x01020304})
	ap = CompleteL3(ap[:0], CellDiscCGI, cellA, l3)
	sc = CR(sc[:0], slr4, msc, bsc, ap)
	c.send("CR CompleteL3 CMServiceRequest", a, up, sc, want{"gsm_a.bssmap.msgtype": "0x57",
		"gsm_a.dtap.msg_mm_type": mm(MMCMServiceRequest), "3gpp.tmsi": "16909060", "gsm_a.bssmap.cell_lac": hex4(laiA.LAC), "gsm_a.bssmap.cell_ci": hex4(cellA.CI)})
	sc = CC(sc[:0], slr4, dlr4)
	c.send("CC", a, down, sc, want{"sccp.message_type": "0x02"})
	l3 = CMServiceAccept(l3[:0])
	dt1("CMServiceAccept", a, down, slr4, dtap(DLCISAPI0), want{"gsm_a.dtap.msg_mm_type": mm(MMCMServiceAccept)})
	l3 = CCSetupMO(l3[:0], 0, msisdn2)
	dt1("CC Setup MO", a, up, dlr4, dtap(DLCISAPI0), want{"gsm_a.dtap.msg_cc_type": hex2(CCSetup)})
	l3 = CCSimple(l3[:0], 0, false, CCCallProceeding)
	dt1("CC CallProceeding", a, down, slr4, dtap(DLCISAPI0), want{"gsm_a.dtap.msg_cc_type": hex2(CCCallProceeding)})
	ap = AssignmentRequest(ap[:0], 0x0021)
	dt1("AssignmentRequest", a, down, slr4, ap, want{"gsm_a.bssmap.msgtype": "0x01"})
	ap = AssignmentComplete(ap[:0])
	dt1("AssignmentComplete", a, up, dlr4, ap, want{"gsm_a.bssmap.msgtype": "0x02"})
	l3 = CCSimple(l3[:0], 0, false, CCAlerting)
	dt1("CC Alerting", a, down, slr4, dtap(DLCISAPI0), want{"gsm_a.dtap.msg_cc_type": hex2(CCAlerting)})
	l3 = CCSimple(l3[:0], 0, false, CCConnect)
	dt1("CC Connect", a, down, slr4, dtap(DLCISAPI0), want{"gsm_a.dtap.msg_cc_type": hex2(CCConnect)})
	l3 = CCSimple(l3[:0], 0, true, CCConnectAck)
	dt1("CC ConnectAck", a, up, dlr4, dtap(DLCISAPI0), want{"gsm_a.dtap.msg_cc_type": hex2(CCConnectAck)})

	// --- Handover of the MO call to BSC 2 (on VLAN 42) ---
	const slr5, dlr5 = 0x000b05, 0x000c05
	ap = HandoverRequired(ap[:0], BSSCauseBetterCell, CellDiscCGI, []CGI{cellB, cellUS})
	dt1("HandoverRequired", a, up, dlr4, ap, want{"gsm_a.bssmap.msgtype": "0x11", "gsm_a.bssmap.cell_ci": hex4(cellB.CI) + ",0xbeef", "e212.mcc": "262,310", "e212.mnc": "1,260"})
	ap = HandoverRequest(ap[:0], &kc, CellDiscCGI, cellA, cellB, 0x0042, imsi1)
	sc = CR(sc[:0], slr5, bsc2, msc, ap)
	c.send("CR HandoverRequest", a2, down, sc, want{"sccp.message_type": "0x01", "vlan.id": "42", "gsm_a.bssmap.msgtype": "0x10",
		"e212.imsi": imsi1, "gsm_a.bssmap.cell_ci": hex4(cellA.CI) + "," + hex4(cellB.CI)})
	sc = CC(sc[:0], slr5, dlr5)
	c.send("CC", a2, up, sc, want{"sccp.message_type": "0x02", "vlan.id": "42"})
	ap = HandoverRequestAck(ap[:0])
	dt1("HandoverRequestAck", a2, up, slr5, ap, want{"gsm_a.bssmap.msgtype": "0x12", "gsm_a.dtap.msg_rr_type": "0x2b"})
	ap = HandoverCommand(ap[:0])
	dt1("HandoverCommand", a, down, slr4, ap, want{"gsm_a.bssmap.msgtype": "0x13", "gsm_a.dtap.msg_rr_type": "0x2b"})
	ap = HandoverComplete(ap[:0])
	dt1("HandoverComplete", a2, up, slr5, ap, want{"gsm_a.bssmap.msgtype": "0x14"})
	ap = HandoverPerformed(ap[:0], BSSCauseHandoverSuccessful, CellDiscLACCI, cellB)
	dt1("HandoverPerformed", a2, up, slr5, ap, want{"gsm_a.bssmap.msgtype": "0x17", "gsm_a.bssmap.cell_lac": hex4(cellB.LAI.LAC), "gsm_a.bssmap.cell_ci": hex4(cellB.CI)})
	l3 = CCDisconnect(l3[:0], 0, true, CauseNormalClearing)
	dt1("CC Disconnect", a2, up, slr5, dtap(DLCISAPI0), want{"gsm_a.dtap.msg_cc_type": hex2(CCDisconnectType)})
	l3 = CCRelease(l3[:0], 0, false, CauseNormalClearing)
	dt1("CC Release", a2, down, dlr5, dtap(DLCISAPI0), want{"gsm_a.dtap.msg_cc_type": hex2(CCReleaseType)})
	l3 = CCSimple(l3[:0], 0, true, CCReleaseComplete)
	dt1("CC ReleaseComplete", a2, up, slr5, dtap(DLCISAPI0), want{"gsm_a.dtap.msg_cc_type": hex2(CCReleaseComplete)})
	ap = ClearRequest(ap[:0], BSSCauseRadioInterfaceFailure)
	dt1("ClearRequest", a2, up, slr5, ap, want{"gsm_a.bssmap.msgtype": "0x22"})

	// --- Paging (UDT), MT call ---
	ap = Paging(ap[:0], imsi1, 0x1a2b3c4d, true, CellDiscLAI, []CGI{cellA, cellB})
	sc = UDT(sc[:0], Class0, bsc, msc, ap)
	c.send("Paging LAI list", a, down, sc, want{"sccp.message_type": "0x09", "gsm_a.bssmap.msgtype": "0x52", "e212.imsi": imsi1,
		"gsm_a.tmsi": "439041101", "gsm_a.bssmap.cell_lac": hex4(laiA.LAC) + "," + hex4(laiB.LAC)})
	ap = Paging(ap[:0], imsi2, 0, false, CellDiscLAC, []CGI{cellUS})
	sc = UDT(sc[:0], Class0, bsc, msc, ap)
	c.send("Paging LAC", a, down, sc, want{"gsm_a.bssmap.msgtype": "0x52", "e212.imsi": imsi2, "gsm_a.bssmap.cell_lac": "0x00aa"})
	ap = Paging(ap[:0], imsi1, 0, false, CellDiscLACCI, []CGI{cellA})
	sc = UDT(sc[:0], Class0, bsc, msc, ap)
	c.send("Paging LAC+CI", a, down, sc, want{"gsm_a.bssmap.msgtype": "0x52", "e212.imsi": imsi1, "gsm_a.bssmap.cell_ci": hex4(cellA.CI)})
	const slr6, dlr6 = 0x000106, 0x000a06
	l3 = PagingResponse(l3[:0], 3, MobileID{Type: IDTMSI, TMSI: 0x1a2b3c4d})
	ap = CompleteL3(ap[:0], CellDiscCGI, cellA, l3)
	sc = CR(sc[:0], slr6, msc, bsc, ap)
	c.send("CR CompleteL3 PagingResponse", a, up, sc, want{"gsm_a.bssmap.msgtype": "0x57", "gsm_a.dtap.msg_rr_type": "0x27", "3gpp.tmsi": "439041101"})
	sc = CC(sc[:0], slr6, dlr6)
	c.send("CC", a, down, sc, want{"sccp.message_type": "0x02"})
	l3 = TMSIReallocCommand(l3[:0], laiA, 0x0badcafe)
	dt1("TMSIReallocCommand", a, down, slr6, dtap(DLCISAPI0), want{"gsm_a.dtap.msg_mm_type": mm(MMTMSIReallocCommand), "3gpp.tmsi": "195939070", "gsm_a.lac": hex4(laiA.LAC)})
	l3 = CCSetupMT(l3[:0], 1, msisdn2)
	dt1("CC Setup MT", a, down, slr6, dtap(DLCISAPI0), want{"gsm_a.dtap.msg_cc_type": hex2(CCSetup)})
	l3 = CCSimple(l3[:0], 1, false, CCCallConfirmed)
	// Bundle: SACK + Call Confirmed + Alerting in one frame.
	sc = DT1(sc[:0], dlr6, dtap(DLCISAPI0))
	sc1 := append([]byte(nil), sc...)
	l3 = CCSimple(l3[:0], 1, false, CCAlerting)
	sc = DT1(sc[:0], dlr6, dtap(DLCISAPI0))
	c.sendBundle("SACK + CallConfirmed + Alerting", a, up, want{"sccp.message_type": "0x06,0x06", "gsm_a.dtap.msg_cc_type": "0x08,0x01"}, sc1, sc)

	// --- MO SMS (SAPI 3) ---
	const slr7, dlr7 = 0x000107, 0x000a07
	l3 = CMServiceRequest(l3[:0], CMSvcSMS, 3, MobileID{Type: IDIMSI, Digits: imsi1})
	ap = CompleteL3(ap[:0], CellDiscCGI, cellA, l3)
	sc = CR(sc[:0], slr7, msc, bsc, ap)
	c.send("CR CompleteL3 CMServiceRequest SMS", a, up, sc, want{"gsm_a.dtap.msg_mm_type": mm(MMCMServiceRequest), "e212.imsi": imsi1})
	sc = CC(sc[:0], slr7, dlr7)
	c.send("CC", a, down, sc, want{"sccp.message_type": "0x02"})
	tpdu := SMSSubmit(nil, 5, msisdn2, "Hello from sigprobe, see you at 5.")
	rp := RPDataMO(nil, 1, smsc, tpdu)
	l3 = CPData(l3[:0], 0, true, rp)
	dt1("CP-DATA RP-DATA SMS-SUBMIT", a, up, dlr7, dtap(DLCISAPI3), want{"gsm_a.dtap.msg_sms_type": "0x01"})
	l3 = CPAck(l3[:0], 0, false)
	dt1("CP-ACK", a, down, slr7, dtap(DLCISAPI3), want{"gsm_a.dtap.msg_sms_type": "0x04"})
	rp = RPAck(rp[:0], 1, false)
	l3 = CPData(l3[:0], 0, false, rp)
	dt1("CP-DATA RP-ACK", a, down, slr7, dtap(DLCISAPI3), want{"gsm_a.dtap.msg_sms_type": "0x01"})
	// MT SMS on the same connection.
	tpdu = SMSDeliver(tpdu[:0], msisdn1, 1700000123, "Meet at 7")
	rp = RPDataMT(rp[:0], 9, smsc, tpdu)
	l3 = CPData(l3[:0], 1, true, rp)
	dt1("CP-DATA RP-DATA SMS-DELIVER", a, down, slr7, dtap(DLCISAPI3), want{"gsm_a.dtap.msg_sms_type": "0x01"})
	rp = RPAck(rp[:0], 9, true)
	l3 = CPData(l3[:0], 1, false, rp)
	dt1("CP-DATA RP-ACK MS", a, up, dlr7, dtap(DLCISAPI3), want{"gsm_a.dtap.msg_sms_type": "0x01"})

	// --- USSD over DTAP SS ---
	ussd := USSDArg(nil, "*100#", "")
	fac = Comp(fac[:0], Component{Kind: CompInvoke, InvokeID: 1, Op: OpProcessUSSD, Param: ussd})
	l3 = SSRegister(l3[:0], 2, fac)
	dt1("SS Register USSD", a, up, dlr7, dtap(DLCISAPI0), want{"gsm_a.dtap.msg_ss_type": "0x3b", "gsm_old.localValue": "59", "gsm_map.ussd_string": "*100#"})
	ussd = USSDRes(ussd[:0], "Your balance is 12.50 EUR")
	fac = Comp(fac[:0], Component{Kind: CompResultLast, InvokeID: 1, Op: OpProcessUSSD, Param: ussd})
	l3 = SSReleaseComplete(l3[:0], 2, false, fac)
	dt1("SS ReleaseComplete USSD", a, down, slr7, dtap(DLCISAPI0), want{"gsm_a.dtap.msg_ss_type": "0x2a", "gsm_old.localValue": "59"})

	// --- MAP over TCAP over SCCP UDT (GT routed) ---
	vlr := Addr{GT: vlrGT, SSN: SSNVLR}
	hlr := Addr{GT: hlrGT, SSN: SSNHLR}
	mscA := Addr{GT: mscGT, SSN: SSNMSC}
	var tc, prm []byte
	tid := uint32(0x10000000)
	mapMsg := func(name string, l *link, dir int, called, calling Addr, kind uint8, acn ACN, comp Component, w want) {
		tid++
		tc = TCAP(tc[:0], kind, tid, tid^0xffff, acn, comp)
		sc = UDT(sc[:0], Class1|ClassReturn, called, calling, tc)
		w["sccp.message_type"] = "0x09"
		if _, ok := w["gsm_old.localValue"]; !ok && comp.Kind != CompError {
			w["gsm_old.localValue"] = strconv.Itoa(int(comp.Op))
		}
		c.send(name, l, dir, sc, w)
	}
	inv := func(op uint8, p []byte) Component { return Component{Kind: CompInvoke, InvokeID: 1, Op: op, Param: p} }
	res := func(op uint8, p []byte) Component {
		return Component{Kind: CompResultLast, InvokeID: 1, Op: op, Param: p}
	}

	prm = UpdateLocationArg(prm[:0], imsi1, mscGT, vlrGT)
	mapMsg("MAP updateLocation", m, up, hlr, vlr, TCBegin, ACNetworkLocUp, inv(OpUpdateLocation, prm),
		want{"e212.imsi": imsi1, "e164.msisdn": mscGT + "," + vlrGT})
	prm = InsertSubscriberDataArg(prm[:0], "", msisdn1, false)
	mapMsg("MAP insertSubscriberData", m, down, vlr, hlr, TCContinue, ACNetworkLocUp, inv(OpInsertSubscriberData, prm),
		want{"e164.msisdn": msisdn1})
	prm = InsertSubscriberDataRes(prm[:0])
	mapMsg("MAP insertSubscriberData res", m, up, hlr, vlr, TCContinue, ACN{}, res(OpInsertSubscriberData, prm), want{})
	// The full profile with IMSI in a Continue, in two XUDT segments.
	prm = InsertSubscriberDataArg(prm[:0], imsi1, msisdn1, true)
	tc = TCAP(tc[:0], TCContinue, 0x20000001, 0x20000002, ACN{}, inv(OpInsertSubscriberData, prm))
	if len(tc) < 200 {
		t.Fatalf("full ISD TCAP only %d bytes", len(tc))
	}
	half := len(tc) / 2
	sc = XUDT(sc[:0], Class1, vlr, hlr, tc[:half], &Segment{First: true, Remaining: 1, LocalRef: 0x00abcd})
	c.send("XUDT segment 1 ISD full", m, down, sc, want{"sccp.message_type": "0x11"})
	sc = XUDT(sc[:0], Class1, vlr, hlr, tc[half:], &Segment{First: false, Remaining: 0, LocalRef: 0x00abcd})
	c.send("XUDT segment 2 ISD full", m, down, sc, want{"sccp.message_type": "0x11", "gsm_old.localValue": "7", "e212.imsi": imsi1, "e164.msisdn": msisdn1})
	// Unsegmented XUDT.
	prm = UpdateLocationRes(prm[:0], hlrGT)
	tc = TCAP(tc[:0], TCEnd, 0, tid, ACNetworkLocUp, res(OpUpdateLocation, prm))
	sc = XUDT(sc[:0], Class1, vlr, hlr, tc, nil)
	c.send("MAP updateLocation res (XUDT)", m, down, sc, want{"sccp.message_type": "0x11", "gsm_old.localValue": "2", "e164.msisdn": hlrGT})

	prm = CancelLocationArg(prm[:0], imsi2)
	mapMsg("MAP cancelLocation", m, down, vlr, hlr, TCBegin, ACLocationCancellation, inv(OpCancelLocation, prm), want{"e212.imsi": imsi2})
	mapMsg("MAP cancelLocation res", m, up, hlr, vlr, TCEnd, ACLocationCancellation, res(OpCancelLocation, nil), want{"gsm_old.localValue": ""})
	prm = PurgeMSArg(prm[:0], imsi2, vlrGT)
	mapMsg("MAP purgeMS", m, up, hlr, vlr, TCBegin, ACMSPurging, inv(OpPurgeMS, prm), want{"e212.imsi": imsi2, "e164.msisdn": vlrGT})
	mapMsg("MAP purgeMS res", m, down, vlr, hlr, TCEnd, ACMSPurging, res(OpPurgeMS, nil), want{"gsm_old.localValue": ""})
	prm = SendAuthInfoArg(prm[:0], imsi1, 5)
	mapMsg("MAP sendAuthenticationInfo", m, up, hlr, vlr, TCBegin, ACInfoRetrieval, inv(OpSendAuthenticationInfo, prm), want{"e212.imsi": imsi1})
	trip := make([]Triplet, 5)
	for i := range trip {
		trip[i].RAND[0], trip[i].SRES[0], trip[i].Kc[0] = byte(i), byte(i), byte(i)
	}
	prm = SendAuthInfoRes(prm[:0], trip)
	mapMsg("MAP sendAuthenticationInfo res", m, down, vlr, hlr, TCEnd, ACInfoRetrieval, res(OpSendAuthenticationInfo, prm), want{})
	prm = SendRoutingInfoArg(prm[:0], msisdn1, gmscGT)
	mapMsg("MAP sendRoutingInfo", m, up, hlr, mscA, TCBegin, ACLocationInfoRetrieval, inv(OpSendRoutingInfo, prm), want{"e164.msisdn": msisdn1 + "," + gmscGT})
	prm = SendRoutingInfoRes(prm[:0], imsi1, msrn)
	mapMsg("MAP sendRoutingInfo res", m, down, mscA, hlr, TCEnd, ACLocationInfoRetrieval, res(OpSendRoutingInfo, prm), want{"e212.imsi": imsi1, "e164.msisdn": msrn})
	prm = ProvideRoamingNumberArg(prm[:0], imsi1, mscGT, msisdn1, gmscGT)
	mapMsg("MAP provideRoamingNumber", m, down, vlr, hlr, TCBegin, ACRoamingNumberEnquiry, inv(OpProvideRoamingNumber, prm), want{"e212.imsi": imsi1, "e164.msisdn": mscGT + "," + msisdn1 + "," + gmscGT})
	prm = ProvideRoamingNumberRes(prm[:0], msrn)
	mapMsg("MAP provideRoamingNumber res", m, up, hlr, vlr, TCEnd, ACRoamingNumberEnquiry, res(OpProvideRoamingNumber, prm), want{"e164.msisdn": msrn})
	prm = SRISMArg(prm[:0], msisdn1, smsc)
	mapMsg("MAP sendRoutingInfoForSM", m, up, hlr, mscA, TCBegin, ACShortMsgGateway, inv(OpSendRoutingInfoForSM, prm), want{"e164.msisdn": msisdn1})
	prm = SRISMRes(prm[:0], imsi1, mscGT)
	mapMsg("MAP sendRoutingInfoForSM res", m, down, mscA, hlr, TCEnd, ACShortMsgGateway, res(OpSendRoutingInfoForSM, prm), want{"e212.imsi": imsi1, "e164.msisdn": mscGT})
	tpdu = SMSSubmit(tpdu[:0], 6, msisdn2, "Hi")
	prm = MOForwardSMArg(prm[:0], smsc, msisdn1, tpdu, imsi1)
	mapMsg("MAP mo-forwardSM", m, up, Addr{GT: smsc, SSN: SSNMSC}, mscA, TCBegin, ACShortMsgMORelay, inv(OpMOForwardSM, prm), want{"e164.msisdn": msisdn1, "e212.imsi": imsi1,
		"gsm_map.sm.serviceCentreAddressDA": "91947102000001f0", "gsm_map.sm.msisdn": "91947112325476f8"})
	mapMsg("MAP mo-forwardSM res", m, down, mscA, Addr{GT: smsc, SSN: SSNMSC}, TCEnd, ACShortMsgMORelay, res(OpMOForwardSM, nil), want{"gsm_old.localValue": ""})
	tpdu = SMSDeliver(tpdu[:0], msisdn2, 1700000200, "Hi")
	prm = MTForwardSMArg(prm[:0], imsi1, smsc, tpdu)
	mapMsg("MAP mt-forwardSM", m, down, mscA, Addr{GT: smsc, SSN: SSNMSC}, TCBegin, ACShortMsgMTRelay, inv(OpMTForwardSM, prm), want{"e212.imsi": imsi1})
	mapMsg("MAP mt-forwardSM error", m, up, Addr{GT: smsc, SSN: SSNMSC}, mscA, TCEnd, ACShortMsgMTRelay,
		Component{Kind: CompError, InvokeID: 1, Op: ErrAbsentSubscriberSM}, want{"gsm_old.localValue": "6"})
	prm = PSIArg(prm[:0], imsi1)
	mapMsg("MAP provideSubscriberInfo", m, down, vlr, hlr, TCBegin, ACSubscriberInfoEnquiry, inv(OpProvideSubscriberInfo, prm), want{"e212.imsi": imsi1})
	prm = PSIRes(prm[:0], vlrGT, cellA)
	mapMsg("MAP provideSubscriberInfo res", m, up, hlr, vlr, TCEnd, ACSubscriberInfoEnquiry, res(OpProvideSubscriberInfo, prm),
		want{"e164.msisdn": vlrGT, "gsm_map.cellGlobalIdOrServiceAreaIdFixedLength": "62f210" + "1234" + "4e21"})
	prm = ATIArg(prm[:0], msisdn1, scfGT)
	mapMsg("MAP anyTimeInterrogation", m, up, hlr, Addr{GT: scfGT, SSN: SSNSCF}, TCBegin, ACAnyTimeEnquiry, inv(OpAnyTimeInterrogation, prm), want{"e164.msisdn": msisdn1 + "," + scfGT})
	prm = ATIRes(prm[:0], vlrGT, cellB)
	mapMsg("MAP anyTimeInterrogation res", m, down, Addr{GT: scfGT, SSN: SSNSCF}, hlr, TCEnd, ACAnyTimeEnquiry, res(OpAnyTimeInterrogation, prm),
		want{"e164.msisdn": vlrGT, "gsm_map.cellGlobalIdOrServiceAreaIdFixedLength": "62f210" + "0101" + "0007"})
	prm = CheckIMEIArg(prm[:0], imei1)
	mapMsg("MAP checkIMEI", m, up, Addr{GT: "4917200000009", SSN: SSNEIR}, mscA, TCBegin, ACEquipmentMngt, inv(OpCheckIMEI, prm), want{"gsm_map.tbcd_digits": imei1})
	prm = CheckIMEIRes(prm[:0])
	mapMsg("MAP checkIMEI res", m, down, mscA, Addr{GT: "4917200000009", SSN: SSNEIR}, TCEnd, ACEquipmentMngt, res(OpCheckIMEI, prm), want{})
	prm = USSDArg(prm[:0], "*101#", msisdn1)
	mapMsg("MAP processUSSD", m, up, hlr, vlr, TCBegin, ACNetworkUnstructuredSs, inv(OpProcessUSSD, prm), want{"e164.msisdn": msisdn1, "gsm_map.ussd_string": "*101#"})
	prm = USSDRes(prm[:0], "Balance 3.20")
	// The End goes out as one M3UA message split across two DATA chunks.
	tc = TCAP(tc[:0], TCEnd, 0, tid, ACNetworkUnstructuredSs, res(OpProcessUSSD, prm))
	sc = UDT(sc[:0], Class1, vlr, hlr, tc)
	c.sendFragmented("MAP processUSSD res", m, down, sc, want{"sccp.message_type": "0x09", "gsm_old.localValue": "59", "gsm_map.ussd_string": "Balance 3.20"})
	tc = TCAP(tc[:0], TCAbort, 0, tid, ACN{})
	sc = UDT(sc[:0], Class0, vlr, hlr, tc)
	c.send("TC-Abort", m, down, sc, want{"sccp.message_type": "0x09"})
	return c
}

// tsharkFields are the golden-file fields of /work/shared/captures plus
// what this test checks besides.
var tsharkFields = []string{
	"frame.number", "_ws.malformed", "_ws.expert.severity", "_ws.expert.message",
	"m3ua.protocol_data_opc", "m3ua.protocol_data_dpc", "mtp3.opc", "mtp3.dpc",
	"sccp.message_type", "sccp.slr", "sccp.dlr", "gsm_a.bssmap.msgtype", "gsm_a.dtap.msg_mm_type",
	"gsm_a.dtap.msg_cc_type", "gsm_a.dtap.msg_sms_type", "gsm_a.dtap.msg_rr_type", "gsm_a.dtap.msg_ss_type",
	"e212.imsi", "gsm_a.tmsi", "gsm_a.imeisv", "e212.lai.mcc", "e212.lai.mnc", "gsm_a.lac", "gsm_a.bssmap.cell_ci",
	"gsm_old.localValue", "e164.msisdn",
	"vlan.id", "gsm_a.imei", "e212.mcc", "e212.mnc", "3gpp.tmsi", "gsm_a.bssmap.cell_lac", "gsm_map.cellGlobalIdOrServiceAreaIdFixedLength",
	"gsm_map.sm.serviceCentreAddressDA", "gsm_map.sm.msisdn", "gsm_map.tbcd_digits", "gsm_map.ussd_string",
}

const sevError = 8388608

func TestTshark(t *testing.T) {
	tshark := envtest.Tool(t, "tshark", "apt-get install tshark; make test does this")
	c := buildCapture(t)
	path := c.save(t)
	args := []string{"-r", path, "-o", "sctp.reassembly:TRUE", "-o", "sctp.checksum:CRC-32C", "-o", "sccp.trace_sccp:TRUE", "-o", "ip.check_checksum:TRUE",
		"-T", "fields", "-E", "header=y", "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=,"}
	for _, f := range tsharkFields {
		args = append(args, "-e", f)
	}
	out, err := exec.Command(tshark, args...).Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	sc.Scan()
	header := strings.Split(sc.Text(), "\t")
	rows := 0
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		got := map[string]string{}
		for i, h := range header {
			if i < len(cols) {
				got[h] = cols[i]
			}
		}
		n, _ := strconv.Atoi(got["frame.number"])
		if n < 1 || n > len(c.frames) {
			t.Fatalf("unexpected frame %q", got["frame.number"])
		}
		rows++
		name := fmt.Sprintf("frame %d (%s)", n, c.names[n-1])
		if got["_ws.malformed"] != "" {
			t.Errorf("%s: malformed", name)
		}
		sevs := strings.Split(got["_ws.expert.severity"], ",")
		msgs := strings.Split(got["_ws.expert.message"], ",")
		for i, s := range sevs {
			if s == "" {
				continue
			}
			v, _ := strconv.Atoi(s)
			msg := ""
			if i < len(msgs) {
				msg = msgs[i]
			}
			if v >= sevError {
				t.Errorf("%s: expert error %q", name, msg)
			} else if v >= 6291456 {
				t.Errorf("%s: expert warning %q", name, msg)
			}
		}
		for f, w := range c.frames[n-1] {
			g := got[f]
			if exactFields[f] || w == "" {
				if g != w {
					t.Errorf("%s: %s = %q, want %q", name, f, g, w)
				}
				continue
			}
			have := strings.Split(g, ",")
			for _, wv := range strings.Split(w, ",") {
				found := false
				for _, h := range have {
					found = found || h == wv
				}
				if !found {
					t.Errorf("%s: %s = %q, want it to contain %q", name, f, g, wv)
				}
			}
		}
	}
	if rows != len(c.frames) {
		t.Errorf("tshark printed %d frames, wrote %d", rows, len(c.frames))
	}
}
