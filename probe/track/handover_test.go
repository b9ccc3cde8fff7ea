package track

import (
	"testing"

	"github.com/sigprobe/sigprobe/decode"
	"github.com/sigprobe/sigprobe/decode/bssap"
	"github.com/sigprobe/sigprobe/decode/ident"
	"github.com/sigprobe/sigprobe/decode/sccp"
	"github.com/sigprobe/sigprobe/sink"
)

// handoverRequired is the BSC asking its MSC, on connection ref, to hand
// the call over.
func handoverRequired(ts int64, ref uint32) decode.Message {
	return connMsgOf(ts, sccp.DT1, 0, 0, ref+1000, decode.ProtoBSSMAP, bssap.HandoverRequired)
}

// handoverRequest opens the target connection ref (MSC side): it names the
// IMSI, the serving cell first and the target second.
func handoverRequest(ts int64, ref uint32, imsi string, serving, target uint16) decode.Message {
	m := connMsgOf(ts, sccp.CR, 1, ref, 0, decode.ProtoBSSMAP, bssap.HandoverRequest)
	m.IMSI = digitsOf(imsi)
	s := ident.Cell{Has: ident.HasLAC | ident.HasCI, LAC: 0x2001, CI: serving}
	tg := ident.Cell{Has: ident.HasLAC | ident.HasCI, LAC: 0x2001, CI: target}
	m.Cells[0], m.Cells[1], m.NCells, m.Loc = s, tg, 2, tg
	return m
}

// A call on a TMSI-only connection handed over within one MSC: the
// Handover Request on the new connection carries the IMSI, and the serving
// cell and the moment tie it to the connection that asked, so its TMSI and
// what was held under it (an earlier location update) become the IMSI's.
// Two unidentified handovers out of one cell at once cannot be told apart:
// nothing is linked.
func TestHandoverIdentifiesTMSIConnection(t *testing.T) {
	const imsi = "262011234567890"
	for _, tc := range []struct {
		name      string
		ambiguous bool
	}{{"one handover", false}, {"two at once", true}} {
		t.Run(tc.name, func(t *testing.T) {
			var got []Obs
			r := newTestResolver(func(o *Obs) { got = append(got, *o) })
			const t0 = int64(1_800_000_000e9)
			open, acc := luConnection(t0, 1, 0x1a2b3c4d, 0x1a2b3c4d, 0x0101)
			for _, m := range append(open, acc[1:]...) {
				r.Handle(&m)
			}
			call, _ := luConnection(t0+600e9, 2, 0x1a2b3c4d, 0, 0x0202)
			msgs := append(call, handoverRequired(t0+660e9, 2))
			if tc.ambiguous {
				other, _ := luConnection(t0+600e9, 5, 0x55555555, 0, 0x0202)
				msgs = append(append(other, msgs...), handoverRequired(t0+660e9+3e8, 5))
			}
			msgs = append(msgs, handoverRequest(t0+660e9+5e8, 3, imsi, 0x0202, 0x0303))
			for _, m := range msgs {
				r.Handle(&m)
			}
			known := r.st.tmsi.find(mkTMSIKey(r.st.vlrOf(0), 0x1a2b3c4d)) >= 0
			cells := map[cellKey]bool{}
			for _, o := range got {
				if o.IMSI != sink.MakeDigits(imsi) {
					t.Fatalf("observation of another subscriber: %+v", o)
				}
				if o.Kind == obsCell {
					cells[o.Cell] = true
				}
			}
			if tc.ambiguous {
				if known || r.Stats.ByHandover != 0 || cells[mkCell(0x2001, 0x0101)] {
					t.Fatalf("linked an ambiguous handover: TMSI known %v, ByHandover %d, cells %v", known, r.Stats.ByHandover, cells)
				}
				return
			}
			if !known || r.Stats.ByHandover != 1 {
				t.Fatalf("TMSI known %v, ByHandover %d", known, r.Stats.ByHandover)
			}
			for _, ci := range []uint16{0x0101, 0x0202} {
				if !cells[mkCell(0x2001, ci)] {
					t.Fatalf("cells attributed: %v; want the held location update's and the call's", cells)
				}
			}
		})
	}
}
