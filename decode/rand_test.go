package decode

import (
	"testing"

	"github.com/sigprobe/sigprobe/decode/bssap"
	"github.com/sigprobe/sigprobe/decode/tcap"
)

// TestAuthenticationRANDs: sendAuthenticationInfo results carry their
// vectors' RANDs and every Authentication Request one of them, so a tracker
// can tie a TMSI connection to the IMSI the vectors were fetched for.
func TestAuthenticationRANDs(t *testing.T) {
	msgs, _ := decodeFile(t, simCapture(t, 12, 60))
	fetched := map[uint64]bool{}
	var results, requests, matched int
	for i := range msgs {
		m := &msgs[i]
		switch {
		case m.Proto == ProtoMAP && m.Comp == CompResult && m.Type == tcap.OpSendAuthenticationInfo:
			results++
			if m.NRAND != 5 {
				t.Fatalf("frame %d: sendAuthenticationInfo result with %d RANDs, the simulator sends 5", m.Frame, m.NRAND)
			}
			for _, k := range m.RANDs[:m.NRAND] {
				fetched[k] = true
			}
		case m.Proto == ProtoDTAP && m.PD == bssap.PDMM && m.Type == bssap.MMAuthRequest:
			requests++
			if m.NRAND != 1 || m.RANDs[0] == 0 {
				t.Fatalf("frame %d: Authentication Request without its RAND", m.Frame)
			}
			if fetched[m.RANDs[0]] {
				matched++
			}
		}
	}
	// Vectors the VLR held before the capture started are not in it.
	t.Logf("%d sendAuthenticationInfo results, %d Authentication Requests, %d with a RAND fetched in the capture", results, requests, matched)
	if results == 0 || matched < requests/2 {
		t.Fatalf("%d of %d Authentication Requests use a RAND seen in a sendAuthenticationInfo result", matched, requests)
	}
}
