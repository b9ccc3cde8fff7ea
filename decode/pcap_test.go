package decode

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/pcapgo"
)

// packet is one captured packet read from a pcap fixture.
type packet struct {
	lt   LinkType
	ts   int64
	data []byte
}

// readCapture reads a pcap or pcapng file with pcapgo.
func readCapture(t testing.TB, path string) []packet {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := bufio.NewReader(f)
	magic, err := r.Peek(4)
	if err != nil {
		t.Fatal(err)
	}
	var src interface {
		ReadPacketData() ([]byte, gopacket.CaptureInfo, error)
	}
	var lt func(gopacket.CaptureInfo) LinkType
	if bytes.Equal(magic, []byte{0x0a, 0x0d, 0x0d, 0x0a}) {
		ng, err := pcapgo.NewNgReader(r, pcapgo.DefaultNgReaderOptions)
		if err != nil {
			t.Fatal(err)
		}
		src = ng
		lt = func(ci gopacket.CaptureInfo) LinkType {
			i, err := ng.Interface(ci.InterfaceIndex)
			if err != nil {
				return ng.LinkType()
			}
			return i.LinkType
		}
	} else {
		pr, err := pcapgo.NewReader(r)
		if err != nil {
			t.Fatal(err)
		}
		src = pr
		lt = func(gopacket.CaptureInfo) LinkType { return pr.LinkType() }
	}
	var out []packet
	for {
		data, ci, err := src.ReadPacketData()
		if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, packet{lt(ci), ci.Timestamp.UnixNano(), data})
	}
}

// decodeFile decodes every packet of a capture with a fresh Stack.
func decodeFile(t testing.TB, path string) ([]Message, *Stack) {
	s := NewStack()
	var msgs []Message
	for i, p := range readCapture(t, path) {
		msgs, _ = s.Decode(msgs, p.lt, uint64(i+1), p.ts, p.data)
	}
	return msgs, s
}

// moduleRoot walks up from the test's directory to the one holding go.mod.
func moduleRoot(t testing.TB) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

// sharedCaptures returns ../shared/captures next to the module, skipping
// the test when it is absent.
func sharedCaptures(t testing.TB) string {
	dir := filepath.Join(moduleRoot(t), "..", "shared", "captures")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared captures not found at %s (they live beside the checkout): %v", dir, err)
	}
	return dir
}

// fixtureFiles lists the capture fixtures under testdata/ (pcap, pcapng).
func fixtureFiles() []string {
	a, _ := filepath.Glob("testdata/*.pcap")
	b, _ := filepath.Glob("testdata/*.pcapng")
	return append(a, b...)
}
