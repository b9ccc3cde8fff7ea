package decode

import (
	"path/filepath"
	"testing"
	"time"
)

// TestResetBase guards resetBase's shortcut: after it, base must equal a
// fresh record but for frame, time, association and direction, whatever
// mtpUser and sccpMsg had set.
func TestResetBase(t *testing.T) {
	s := NewStack()
	for _, path := range fixtureFiles() {
		for i, p := range readCapture(t, path) {
			s.Decode(nil, p.lt, uint64(i+1), p.ts, p.data)
			s.resetBase(7, 1)
			want := Message{Frame: s.base.Frame, TsNs: s.base.TsNs, Assoc: 7, Dir: 1}
			if s.base != want {
				t.Fatalf("%s frame %d: base not clean after reset: %+v", path, i+1, s.base)
			}
		}
	}
}

// TestReassemblyBounds: fragments that never complete cannot grow a
// Stack's memory without bound.
func TestReassemblyBounds(t *testing.T) {
	s := NewStack()
	payload := make([]byte, 1400)
	var msgs []Message
	frame := uint64(0)
	for port := 1000; port < 1400; port++ {
		for stream := 0; stream < MaxStreams+4; stream++ {
			frame++
			pkt := eth(0x0800, ipv4(ipBSC, ipMSC, 1, 0x4000,
				sctpPkt(port, 2905, 1, dataChunk(2, uint32(stream), stream, 0, 3, payload))))
			msgs, _ = s.Decode(msgs[:0], LinkType(1), frame, 0, pkt)
		}
	}
	if s.held > MaxHeld {
		t.Fatalf("held %d bytes, limit %d", s.held, MaxHeld)
	}
	byReason := map[error]uint64{}
	s.Stats.ForEachError(func(r error, n uint64) { byReason[r] = n })
	if byReason[ErrTooManyStreams] == 0 || byReason[ErrReassemblyMemory] == 0 {
		t.Fatalf("limits not hit: %v", byReason)
	}
}

// TestIPv6ExtensionLength255: an extension header length octet of 255 is
// 2048 bytes; computing it in uint8 wrapped to 0 and looped forever (found
// by FuzzStack as a hung worker).
func TestIPv6ExtensionLength255(t *testing.T) {
	s := NewStack()
	hbh := make([]byte, 64)
	hbh[0], hbh[1] = 60, 255 // destination options, next one again, length 255
	ip := cat([]byte{0x60, 0, 0, 0}, u16(len(hbh)), []byte{60, 64}, make([]byte, 32), hbh)
	done := make(chan struct{})
	go func() {
		s.Decode(nil, LinkType(101), 1, 0, ip)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Decode does not return on an IPv6 extension header of length 255")
	}
	if s.Stats.ByLayer[LayerIP] != 1 {
		t.Fatalf("IP errors %d, want 1", s.Stats.ByLayer[LayerIP])
	}
}

// TestUDTSCountedOnly: a UDTS (an undeliverable message returned to its
// sender) is counted in Stats.Returned and produces no record: the message
// it returns was reported when it was sent (frame 2 of the fixture).
func TestUDTSCountedOnly(t *testing.T) {
	msgs, s := decodeFile(t, filepath.Join("testdata", "udts.pcap"))
	var frames []uint64
	for i := range msgs {
		frames = append(frames, msgs[i].Frame)
	}
	if len(frames) != 3 || frames[0] != 1 || frames[1] != 2 || frames[2] != 4 {
		t.Fatalf("records from frames %v, want [1 2 4]", frames)
	}
	if s.Stats.Returned != 1 || s.Stats.Errors != 0 || s.Stats.Messages != 3 {
		t.Fatalf("returned %d, errors %d, messages %d", s.Stats.Returned, s.Stats.Errors, s.Stats.Messages)
	}
}
