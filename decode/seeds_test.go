package decode

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/sigprobe/sigprobe/decode/m3ua"
	"github.com/sigprobe/sigprobe/decode/sccp"
	"github.com/sigprobe/sigprobe/decode/sctp"
)

var writeSeeds = flag.Bool("write-fuzz-seeds", false, "write fuzz seed corpora from the shared captures and testdata")

// TestWriteFuzzSeeds writes each layer's bytes from real captures as seed
// corpus files (testdata/fuzz/FuzzX/) of the layer packages. Run with
// -write-fuzz-seeds after adding captures.
func TestWriteFuzzSeeds(t *testing.T) {
	if !*writeSeeds {
		t.Skip("seed writer: run with -write-fuzz-seeds")
	}
	files, _ := filepath.Glob(filepath.Join(sharedCaptures(t), "*.pcap"))
	files = append(files, fixtureFiles()...)
	seen := map[string]bool{}
	put := func(dir, name string, args ...any) {
		body := "go test fuzz v1\n"
		for _, a := range args {
			switch v := a.(type) {
			case []byte:
				body += "[]byte(" + strconv.Quote(string(v)) + ")\n"
			case uint16:
				body += fmt.Sprintf("uint16(%d)\n", v)
			}
		}
		sum := sha256.Sum256([]byte(body))
		id := hex.EncodeToString(sum[:8])
		if seen[dir+id] {
			return
		}
		seen[dir+id] = true
		p := filepath.Join(dir, "testdata", "fuzz", name)
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(p, "seed-"+id), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range files {
		for _, p := range readCapture(t, f) {
			put(".", "FuzzStack", uint16(p.lt), p.data)
			pkt := gopacket.NewPacket(p.data, p.lt, gopacket.Default)
			var ipPayload []byte
			if l := pkt.Layer(layers.LayerTypeIPv4); l != nil {
				ipPayload = l.(*layers.IPv4).Payload
			} else if l := pkt.Layer(layers.LayerTypeIPv6); l != nil {
				ipPayload = l.(*layers.IPv6).Payload
			}
			var sp sctp.Packet
			if ipPayload == nil || sp.DecodeFromBytes(ipPayload) != nil {
				continue
			}
			put("sctp", "FuzzSCTP", ipPayload)
			for i := 0; i < sp.NData; i++ {
				d := sp.Data[i].Payload
				put("m3ua", "FuzzM3UA", d)
				var pdu *m3ua.PDU
				var m m3ua.M3UA
				var m2 m3ua.M2PA
				if m.DecodeFromBytes(d) == nil {
					pdu = &m.PDU
				} else if m2.DecodeFromBytes(d) == nil {
					pdu = &m2.PDU
				} else {
					continue
				}
				put("sccp", "FuzzSCCP", pdu.Data)
				var s sccp.Message
				if s.DecodeFromBytes(pdu.Data) != nil || len(s.Data) == 0 {
					continue
				}
				if s.Data[0] <= 1 {
					put("bssap", "FuzzBSSAP", s.Data)
				} else {
					put("tcap", "FuzzTCAP", s.Data)
				}
			}
		}
	}
}
