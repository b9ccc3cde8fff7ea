package track

import (
	"testing"

	"github.com/sigprobe/sigprobe/decode"
	"github.com/sigprobe/sigprobe/decode/bssap"
	"github.com/sigprobe/sigprobe/decode/ident"
	"github.com/sigprobe/sigprobe/decode/sccp"
	"github.com/sigprobe/sigprobe/decode/tcap"
	"github.com/sigprobe/sigprobe/sink"
)

// An A-interface association (BSC side 0) and a MAP one between two VLRs
// (new VLR side 0).
const (
	aAssoc   = 0xa
	mapAssoc = 0xb
)

func digitsOf(s string) ident.Digits {
	var d ident.Digits
	d.N = uint8(copy(d.D[:], s))
	return d
}

// connMsg is a BSSMAP or DTAP message on an SCCP connection.
func connMsgOf(ts int64, st uint8, dir uint8, slr, dlr uint32, proto decode.Proto, typ int32) decode.Message {
	m := decode.Message{TsNs: ts, Assoc: aAssoc, Dir: dir, SCCPType: st, Proto: proto, Type: typ,
		Has: decode.HasSCCP | decode.HasType}
	if slr != 0 {
		m.SLR, m.Has = slr, m.Has|decode.HasSLR
	}
	if dlr != 0 {
		m.DLR, m.Has = dlr, m.Has|decode.HasDLR
	}
	if proto == decode.ProtoDTAP {
		m.PD = bssap.PDMM
	}
	return m
}

// luConnection is an inter-VLR location update on the A interface: Complete
// Layer 3 with a Location Updating Request naming the old TMSI, the
// connection confirmed, then (after the MAP dialogue) the accept with a new
// TMSI and the release.
func luConnection(ts int64, ref uint32, oldTMSI, newTMSI uint32, ci uint16) (open, accept []decode.Message) {
	cl3 := connMsgOf(ts, sccp.CR, 0, ref, 0, decode.ProtoBSSMAP, bssap.CompleteLayer3)
	cl3.Loc = ident.Cell{Has: ident.HasLAC | ident.HasCI, LAC: 0x2001, CI: ci}
	lur := connMsgOf(ts, sccp.CR, 0, ref, 0, decode.ProtoDTAP, bssap.MMLURequest)
	lur.TMSI, lur.Has = oldTMSI, lur.Has|decode.HasTMSI
	cc := decode.Message{TsNs: ts + 1e6, Assoc: aAssoc, Dir: 1, SCCPType: sccp.CC, SLR: ref + 1000, DLR: ref,
		Has: decode.HasSCCP | decode.HasSLR | decode.HasDLR}
	acc := connMsgOf(ts+2e9, sccp.DT1, 1, 0, ref, decode.ProtoDTAP, bssap.MMLUAccept)
	acc.TMSI, acc.Has = newTMSI, acc.Has|decode.HasTMSI
	rlsd := decode.Message{TsNs: ts + 3e9, Assoc: aAssoc, Dir: 1, SCCPType: sccp.RLSD, SLR: ref + 1000, DLR: ref,
		Has: decode.HasSCCP | decode.HasSLR | decode.HasDLR}
	rlc := decode.Message{TsNs: ts + 3e9 + 1e6, Assoc: aAssoc, Dir: 0, SCCPType: sccp.RLC, SLR: ref, DLR: ref + 1000,
		Has: decode.HasSCCP | decode.HasSLR | decode.HasDLR}
	return []decode.Message{cl3, lur, cc}, []decode.Message{acc, rlsd, rlc}
}

// sendID is the MAP dialogue: invoke with the TMSI (new VLR → old VLR,
// TCAP Begin) and result with the IMSI (End).
func sendID(ts int64, otid uint32, tmsi uint32, imsi string) []decode.Message {
	inv := decode.Message{TsNs: ts, Assoc: mapAssoc, Dir: 0, Proto: decode.ProtoMAP, Comp: decode.CompInvoke,
		Type: tcap.OpSendIdentification, TCAPType: tcap.Begin, OTID: otid, TMSI: tmsi,
		Has: decode.HasType | decode.HasTCAP | decode.HasOTID | decode.HasTMSI}
	res := decode.Message{TsNs: ts + 5e6, Assoc: mapAssoc, Dir: 1, Proto: decode.ProtoMAP, Comp: decode.CompResult,
		Type: tcap.OpSendIdentification, TCAPType: tcap.End, DTID: otid, IMSI: digitsOf(imsi),
		Has: decode.HasType | decode.HasTCAP | decode.HasDTID}
	return []decode.Message{inv, res}
}

// TestSendIdentificationMapsTMSI: the TMSI→IMSI mapping is learned from a
// sendIdentification dialogue, correlated by its TCAP transaction, and
// attributes both the location update waiting on it and what an earlier
// connection under the same TMSI held back.
func TestSendIdentificationMapsTMSI(t *testing.T) {
	const imsi = "262019876543210"
	for _, tc := range []struct {
		name     string
		tmsi     uint32 // the TMSI the dialogue asks about
		otherTID bool   // the result answers another transaction
		learned  bool
		bySendID uint64
	}{
		{"learned", 0x1a2b3c4d, false, true, 1},
		{"other TMSI", 0x11111111, false, false, 1},
		{"other transaction", 0x1a2b3c4d, true, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []Obs
			r := newTestResolver(func(o *Obs) { got = append(got, *o) })
			const t0 = int64(1_800_000_000e9)
			// An earlier connection under the old TMSI, never identified: its
			// cell is held under the TMSI.
			open, acc := luConnection(t0, 1, 0x1a2b3c4d, 0x1a2b3c4d, 0x0101)
			for _, m := range append(open, acc[1:]...) {
				r.Handle(&m)
			}
			// The inter-VLR location update: the MAP dialogue runs while it waits.
			open, acc = luConnection(t0+60e9, 2, 0x1a2b3c4d, 0x5e6f7081, 0x0202)
			for _, m := range open {
				r.Handle(&m)
			}
			dlg := sendID(t0+61e9, 77, tc.tmsi, imsi)
			if tc.otherTID {
				dlg[1].DTID = 78
			}
			for _, m := range append(dlg, acc...) {
				r.Handle(&m)
			}
			cells := map[cellKey]bool{}
			for _, o := range got {
				if o.IMSI != sink.MakeDigits([]byte(imsi)) {
					t.Fatalf("observation of another subscriber: %+v", o)
				}
				if o.Kind == obsCell {
					cells[o.Cell] = true
				}
			}
			knowsNew := r.st.tmsi.find(mkTMSIKey(r.st.vlrOf(0), 0x5e6f7081)) >= 0
			knowsOld := r.st.tmsi.find(mkTMSIKey(r.st.vlrOf(0), 0x1a2b3c4d)) >= 0
			if !tc.learned {
				if len(got) != 0 || knowsOld || knowsNew || r.Stats.BySendID != tc.bySendID {
					t.Fatalf("learned from an unrelated dialogue: %d observations, TMSIs %v %v", len(got), knowsOld, knowsNew)
				}
				return
			}
			if r.Stats.BySendID != 1 || !knowsOld || !knowsNew {
				t.Fatalf("BySendID %d, old TMSI known %v, new %v", r.Stats.BySendID, knowsOld, knowsNew)
			}
			if !cells[mkCell(0x2001, 0x0101)] || !cells[mkCell(0x2001, 0x0202)] {
				t.Fatalf("cells attributed: %v; want both connections'", cells)
			}
		})
	}
}
