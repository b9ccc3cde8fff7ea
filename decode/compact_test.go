package decode

import (
	"testing"

	"github.com/sigprobe/sigprobe/decode/ident"
)

func compactSample() Message {
	m := Message{Frame: 7, TsNs: 1_790_000_000_123_456_789, Assoc: 42, Dir: 1, OPC: 1026, DPC: 102, Proto: ProtoDTAP, Type: 5, TMSI: 0x1a2b3c4d}
	m.IMSI.Set("001010000012345")
	m.Loc = ident.Cell{Has: ident.HasLAC | ident.HasCI, LAC: 0x2001, CI: 0x0101}
	return m
}

// The compact form reads back to the same message and says how long it
// was, with bytes after it left alone.
func TestCompactRoundTrip(t *testing.T) {
	for _, m := range []Message{{}, compactSample()} {
		b := AppendCompact([]byte{0xee}, &m)
		b = append(b, 0xff)
		var got Message
		n, ok := ReadCompact(b[1:], &got)
		if !ok || got != m || n != len(b)-2 {
			t.Fatalf("read back %v, %d of %d bytes: %+v", ok, n, len(b)-2, got)
		}
		if _, ok := ReadCompact(b[1:n], &got); ok && n > maskBytes {
			t.Fatal("a truncated compact message read as whole")
		}
	}
}

// FuzzReadCompact: any bytes give a message or false, never a panic, and
// what reads round-trips (a set mask bit over a zero word is accepted, and
// written back without it).
func FuzzReadCompact(f *testing.F) {
	m := compactSample()
	f.Add(AppendCompact(nil, &m))
	f.Add(make([]byte, maskBytes))
	f.Fuzz(func(t *testing.T, p []byte) {
		var m Message
		n, ok := ReadCompact(p, &m)
		if !ok {
			return
		}
		if n > len(p) {
			t.Fatalf("took %d of %d bytes", n, len(p))
		}
		var again Message
		if _, ok := ReadCompact(AppendCompact(nil, &m), &again); !ok || again != m {
			t.Fatalf("does not round-trip: %+v", m)
		}
	})
}
