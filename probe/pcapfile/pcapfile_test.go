package pcapfile

import (
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// writeCapture writes n packets of size bytes as pcap or pcapng.
func writeCapture(t *testing.T, ng bool, n, size int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "c.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	data := make([]byte, size)
	ci := gopacket.CaptureInfo{Timestamp: time.Unix(1_790_000_000, 0), CaptureLength: size, Length: size}
	if ng {
		w, err := pcapgo.NewNgWriter(f, layers.LinkTypeEthernet)
		if err != nil {
			t.Fatal(err)
		}
		for range n {
			if err := w.WritePacket(ci, data); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		return path
	}
	w := pcapgo.NewWriterNanos(f)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	for range n {
		if err := w.WritePacket(ci, data); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

// BytesRead follows the file (never behind the packets returned, never
// past the file) and is the file's size at its end; reading a packet
// allocates nothing.
func TestBytesRead(t *testing.T) {
	for _, ng := range []bool{false, true} {
		t.Run(map[bool]string{false: "pcap", true: "pcapng"}[ng], func(t *testing.T) {
			path := writeCapture(t, ng, 30000, 200) // ~6 MB: several buffer refills
			fi, _ := os.Stat(path)
			r, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			var packets int64
			allocs := testing.AllocsPerRun(1000, func() {
				if _, _, _, err := r.Next(); err != nil {
					t.Fatal(err)
				}
				packets++
				if n := r.BytesRead(); n < packets*200 || n > fi.Size() {
					t.Fatalf("after %d packets of 200 bytes: %d bytes read of %d", packets, n, fi.Size())
				}
			})
			if allocs != 0 {
				t.Errorf("Next allocates %.1f times per packet", allocs)
			}
			for {
				if _, _, _, err := r.Next(); err == io.EOF {
					break
				} else if err != nil {
					t.Fatal(err)
				}
			}
			if n := r.BytesRead(); n != fi.Size() {
				t.Errorf("at the end %d bytes read, the file has %d", n, fi.Size())
			}
		})
	}
}
