package decode

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateJSON = flag.Bool("update", false, "rewrite the testdata/*.jsonl golden outputs")

// TestJSONGolden renders every fixture as `sigprobe decode` would and
// compares with the checked-in JSON lines (regenerate with -update).
func TestJSONGolden(t *testing.T) {
	for _, path := range fixtureFiles() {
		t.Run(filepath.Base(path), func(t *testing.T) {
			msgs, _ := decodeFile(t, path)
			var out []byte
			for i := range msgs {
				out = AppendJSON(out, &msgs[i])
				out = append(out, '\n')
			}
			golden := path + ".jsonl"
			if *updateJSON {
				if err := os.WriteFile(golden, out, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if !bytes.Equal(out, want) {
				gl, wl := strings.Split(string(out), "\n"), strings.Split(string(want), "\n")
				for i := range gl {
					if i >= len(wl) || gl[i] != wl[i] {
						t.Fatalf("line %d:\n got %s\nwant %s", i+1, gl[i], wl[min(i, len(wl)-1)])
					}
				}
				t.Fatalf("output has %d lines, golden %d", len(gl), len(wl))
			}
		})
	}
}

// TestAInterfaceDetails checks the BSSAP fields the tracking engine uses
// that tshark's columns do not cover.
func TestAInterfaceDetails(t *testing.T) {
	msgs, _ := decodeFile(t, filepath.Join("testdata", "a-interface.pcap"))
	find := func(frame uint64, proto Proto) *Message {
		for i := range msgs {
			if msgs[i].Frame == frame && msgs[i].Proto == proto {
				return &msgs[i]
			}
		}
		t.Fatalf("frame %d: no %v message", frame, proto)
		return nil
	}
	if m := find(3, ProtoDTAP); m.Has&HasLUType == 0 || m.LUType != 2 || m.Loc.Valid() || m.NCells != 1 || m.Cells[0].LAC != 0x1000 {
		t.Errorf("LU request: type %d loc %+v cells %d", m.LUType, m.Loc, m.NCells)
	}
	if m := find(3, ProtoBSSMAP); m.Loc.CI != 0x2001 || m.Loc.LAC != 0x1001 || string(m.Loc.PLMN.MCC[:]) != "262" {
		t.Errorf("Complete L3 cell %+v", m.Loc)
	}
	if m := find(8, ProtoDTAP); m.IMEISV.String() != imeisv1 || m.PD != 6 {
		t.Errorf("ciphering mode complete: %q pd %d", m.IMEISV.String(), m.PD)
	}
	if m := find(9, ProtoDTAP); m.Has&HasTMSI == 0 || m.TMSI != 0x1a2b3c4d || m.Loc.LAC != 0x1001 {
		t.Errorf("LU accept: tmsi %x loc %+v", m.TMSI, m.Loc)
	}
	if m := find(18, ProtoDTAP); m.IMEI.String() != imei1 {
		t.Errorf("identity response IMEI %q", m.IMEI.String())
	}
	if m := find(19, ProtoDTAP); m.Has&HasRejCause == 0 || m.RejectCause != 0x0b {
		t.Errorf("LU reject cause %d", m.RejectCause)
	}
	if m := find(21, ProtoDTAP); m.Has&HasCMType == 0 || m.CMServiceType != 1 {
		t.Errorf("CM service type %d", m.CMServiceType)
	}
	if m := find(24, ProtoDTAP); m.Called.String() != "4915112345678" {
		t.Errorf("setup called %q", m.Called.String())
	}
	if m := find(39, ProtoDTAP); m.Calling.String() != "4930123456" {
		t.Errorf("setup calling %q", m.Calling.String())
	}
	if m := find(41, ProtoDTAP); m.DLCI != 3 || m.RPDest.String() != "491710000000" || m.RPOrig.N != 0 {
		t.Errorf("MO SMS: dlci %d da %q oa %q", m.DLCI, m.RPDest.String(), m.RPOrig.String())
	}
	if m := find(43, ProtoDTAP); m.RPOrig.String() != "491710000000" {
		t.Errorf("MT SMS oa %q", m.RPOrig.String())
	}
	if m := find(35, ProtoBSSMAP); m.NCells != 2 || m.Cells[1].LAC != 0x1002 || m.IMSI.String() != imsi1 {
		t.Errorf("paging cells %+v", m.Cells[:m.NCells])
	}
	if m := find(49, ProtoBSSMAP); m.NCells != 2 || m.Cells[0].CI != 0x2002 || m.Has&HasCause == 0 || m.Cause != 0x0c {
		t.Errorf("handover required: cells %+v cause %d", m.Cells[:m.NCells], m.Cause)
	}
	if m := find(50, ProtoBSSMAP); m.Loc.CI != 0x2002 || m.NCells != 2 || m.Cells[0].CI != 0x2001 {
		t.Errorf("handover request: target %+v cells %+v", m.Loc, m.Cells[:m.NCells])
	}
	if m := find(53, ProtoBSSMAP); m.Loc.CI != 0x2002 || m.Loc.LAC != 0x1002 {
		t.Errorf("handover performed cell %+v", m.Loc)
	}
	n := 0
	for i := range msgs {
		if msgs[i].Frame == 45 {
			n++
		}
	}
	if n != 2 {
		t.Errorf("SS Register: %d lines, want DTAP + MAP", n)
	}
}
