package decode

import (
	"path/filepath"
	"testing"

	"github.com/sigprobe/sigprobe/decode/ident"
)

// TestMAPIdentities checks, per MAP operation of the map-ops fixture, the
// subscriber and node numbers that tshark lumps together as e164.msisdn.
func TestMAPIdentities(t *testing.T) {
	msgs, _ := decodeFile(t, filepath.Join("testdata", "map-ops.pcap"))
	byFrame := map[uint64]*Message{}
	for i := range msgs {
		byFrame[msgs[i].Frame] = &msgs[i]
	}
	const isdnSub, vlr, hlr, msc = "4917612345678", "491720000001", "491720000002", "491720000003"
	for _, tc := range []struct {
		frame                            uint64
		op                               int32
		comp                             Comp
		imsi, msisdn, imei, v, m, h, acv string
	}{
		{frame: 1, op: 2, comp: CompInvoke, imsi: imsi1, v: vlr, m: msc},
		{frame: 2, op: 7, comp: CompInvoke, imsi: imsi1, msisdn: isdnSub},
		{frame: 4, op: 2, comp: CompResult, h: hlr},
		{frame: 5, op: 3, comp: CompInvoke, imsi: imsi1},
		{frame: 7, op: 67, comp: CompInvoke, imsi: imsi1, v: vlr},
		{frame: 8, op: 56, comp: CompInvoke, imsi: imsi1},
		{frame: 9, op: -1, comp: CompError},
		{frame: 10, op: 23, comp: CompInvoke, imsi: imsi1},
		{frame: 11, op: 23, comp: CompResult, h: hlr},
		{frame: 12, op: 22, comp: CompInvoke, msisdn: isdnSub},
		{frame: 13, op: 22, comp: CompResult, imsi: imsi1},
		{frame: 14, op: 45, comp: CompInvoke, msisdn: isdnSub},
		{frame: 15, op: 45, comp: CompResult, imsi: imsi1, m: msc},
		{frame: 16, op: 46, comp: CompInvoke, msisdn: isdnSub},
		{frame: 17, op: 44, comp: CompInvoke, imsi: imsi1},
		{frame: 18, op: 70, comp: CompInvoke, imsi: imsi1},
		{frame: 19, op: 70, comp: CompResult, v: vlr},
		{frame: 20, op: 71, comp: CompInvoke, msisdn: isdnSub},
		{frame: 21, op: 59, comp: CompInvoke, msisdn: isdnSub},
		{frame: 23, op: 66, comp: CompInvoke, imsi: imsi1},
		{frame: 24, op: 43, comp: CompInvoke, imei: imei1},
		{frame: 28, op: 55, comp: CompInvoke, v: "491720000012", m: msc},
		{frame: 29, op: 55, comp: CompResult, imsi: imsi1},
		{frame: 30, op: 55, comp: CompInvoke},
		{frame: 31, op: 55, comp: CompResult, imsi: imsi2},
	} {
		m := byFrame[tc.frame]
		if m == nil {
			t.Errorf("frame %d: no message", tc.frame)
			continue
		}
		gotOp := int32(-1)
		if m.Has&HasType != 0 {
			gotOp = m.Type
		}
		if m.Proto != ProtoMAP || gotOp != tc.op || m.Comp != tc.comp {
			t.Errorf("frame %d: proto %v op %d comp %v, want map %d %v", tc.frame, m.Proto, gotOp, m.Comp, tc.op, tc.comp)
		}
		for _, f := range []struct{ name, got, want string }{
			{"imsi", m.IMSI.String(), tc.imsi}, {"msisdn", m.MSISDN.String(), tc.msisdn}, {"imei", m.IMEI.String(), tc.imei},
			{"vlr", m.VLR.String(), tc.v}, {"msc", m.MSC.String(), tc.m}, {"hlr", m.HLR.String(), tc.h},
		} {
			if f.got != f.want {
				t.Errorf("frame %d %s = %q, want %q", tc.frame, f.name, f.got, f.want)
			}
		}
		if m.Has&HasTCAP == 0 || m.Has&HasACN == 0 && m.TCAPType == 2 {
			t.Errorf("frame %d: TCAP fields missing (has %#x)", tc.frame, m.Has)
		}
	}
	if m := byFrame[9]; m != nil && (m.Cause != 1 || m.Has&HasCause == 0) {
		t.Errorf("returnError code %d, want 1 (unknownSubscriber)", m.Cause)
	}
	if m := byFrame[1]; m != nil && (m.ACN != 1 || m.ACVersion != 3 || m.OTID != 1 || m.InvokeID != 1) {
		t.Errorf("updateLocation TCAP: acn %d v%d otid %d invoke %d", m.ACN, m.ACVersion, m.OTID, m.InvokeID)
	}
	if m := byFrame[19]; m != nil && (m.Loc.CI != 0x2001 || m.Loc.LAC != 0x1001) {
		t.Errorf("PSI result CGI %+v", m.Loc)
	}
}

// TestSendIdentification checks what an inter-VLR location update's
// sendIdentification gives a tracker: the TMSI of the invoke, the IMSI and
// the handed-over vectors' RANDs of the result, v3 and v2; never the CK of
// the current security context.
func TestSendIdentification(t *testing.T) {
	msgs, _ := decodeFile(t, filepath.Join("testdata", "map-ops.pcap"))
	byFrame := map[uint64]*Message{}
	for i := range msgs {
		byFrame[msgs[i].Frame] = &msgs[i]
	}
	key := func(b byte) uint64 { // ident.RANDKey of the fixture's RAND b 0…0 b
		r := make([]byte, 16)
		r[0], r[15] = b, b
		return ident.RANDKey(r)
	}
	for _, tc := range []struct {
		frame   uint64
		tmsi    uint32
		hasTMSI bool
		rands   []uint64
		lac     uint16
	}{
		{frame: 28, tmsi: 0x1a2b3c4d, hasTMSI: true, lac: 0x1001},
		{frame: 29, rands: []uint64{key(0x11), key(0x22)}},
		{frame: 30, tmsi: 0x0badcafe, hasTMSI: true},
		{frame: 31, rands: []uint64{key(0x55)}},
	} {
		m := byFrame[tc.frame]
		if m == nil {
			t.Fatalf("frame %d: no message", tc.frame)
		}
		if m.Name() != "sendIdentification" {
			t.Errorf("frame %d: name %q", tc.frame, m.Name())
		}
		if got := m.Has&HasTMSI != 0; got != tc.hasTMSI || m.TMSI != tc.tmsi {
			t.Errorf("frame %d: TMSI %#x (present %v), want %#x (%v)", tc.frame, m.TMSI, got, tc.tmsi, tc.hasTMSI)
		}
		if got := m.RANDs[:m.NRAND]; len(got) != len(tc.rands) {
			t.Errorf("frame %d: RANDs %x, want %x", tc.frame, got, tc.rands)
		} else {
			for i := range got {
				if got[i] != tc.rands[i] {
					t.Errorf("frame %d: RANDs %x, want %x", tc.frame, got, tc.rands)
				}
			}
		}
		if tc.lac != 0 && (m.NCells != 1 || m.Cells[0].LAC != tc.lac || m.Loc.Valid()) {
			t.Errorf("frame %d: previous LAI %+v (cells %d), location %+v", tc.frame, m.Cells[0], m.NCells, m.Loc)
		}
	}
}
