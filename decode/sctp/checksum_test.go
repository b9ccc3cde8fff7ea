package sctp

import (
	"encoding/binary"
	"fmt"
	"testing"
)

// crc32cBitwise is a bit-at-a-time CRC32c (reflected polynomial 0x82F63B78),
// independent of hash/crc32, to check Checksum against.
func crc32cBitwise(b []byte) uint32 {
	c := ^uint32(0)
	for _, x := range b {
		c ^= uint32(x)
		for range 8 {
			if c&1 != 0 {
				c = c>>1 ^ 0x82f63b78
			} else {
				c >>= 1
			}
		}
	}
	return ^c
}

func TestCRC32cReference(t *testing.T) {
	// RFC 3720 B.4 test vectors for CRC32c.
	ones := make([]byte, 32)
	for i := range ones {
		ones[i] = 0xff
	}
	inc := make([]byte, 32)
	for i := range inc {
		inc[i] = byte(i)
	}
	for _, tc := range []struct {
		name string
		in   []byte
		want uint32
	}{
		{"32 zeros", make([]byte, 32), 0x8a9136aa},
		{"32 ones", ones, 0x62a8ab43},
		{"incrementing", inc, 0x46dd794e},
	} {
		if got := crc32cBitwise(tc.in); got != tc.want {
			t.Errorf("%s: %#08x, want %#08x", tc.name, got, tc.want)
		}
	}
}

// packet returns an SCTP packet with a DATA chunk of n payload bytes and a
// correct checksum.
func packet(n int) []byte {
	b := []byte{0x0b, 0x59, 0x0b, 0x59, 0x12, 0x34, 0x56, 0x78, 0, 0, 0, 0}
	b = append(b, 0, 3)
	b = binary.BigEndian.AppendUint16(b, uint16(16+n))
	b = append(b, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 3)
	for i := range n {
		b = append(b, byte(i*7))
	}
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	binary.LittleEndian.PutUint32(b[8:], Checksum(b))
	return b
}

func TestChecksum(t *testing.T) {
	for _, n := range []int{0, 1, 3, 100, 1400} {
		b := packet(n)
		zeroed := append([]byte(nil), b...)
		copy(zeroed[8:12], []byte{0, 0, 0, 0})
		if got, want := Checksum(b), crc32cBitwise(zeroed); got != want {
			t.Fatalf("n=%d: Checksum %#08x, bitwise reference %#08x", n, got, want)
		}
		if !ChecksumOK(b) {
			t.Fatalf("n=%d: a correct checksum is rejected", n)
		}
		// Any single-bit error, in the header, the checksum field or the
		// chunks, is caught.
		for i := 0; i < len(b)*8; i += 3 {
			b[i/8] ^= 1 << (i % 8)
			if ChecksumOK(b) {
				t.Fatalf("n=%d: bit %d flipped and the checksum still matches", n, i)
			}
			b[i/8] ^= 1 << (i % 8)
		}
	}
	if ChecksumOK(make([]byte, 11)) {
		t.Fatal("an 11-byte packet passes")
	}
}

// TestChecksumByteOrder pins the field's byte order; decode's
// TestChecksumSharedCaptures checks it against real captures whose
// checksums tshark reports as good.
func TestChecksumByteOrder(t *testing.T) {
	b := packet(4)
	c := Checksum(b)
	if b[8] != byte(c) || b[11] != byte(c>>24) {
		t.Fatalf("checksum %#08x stored as % x: want least significant byte first", c, b[8:12])
	}
}

func TestChecksumAllocs(t *testing.T) {
	b := packet(200)
	if n := testing.AllocsPerRun(100, func() { ChecksumOK(b) }); n != 0 {
		t.Fatalf("ChecksumOK allocates %v times", n)
	}
}

// BenchmarkChecksum measures the CRC32c per packet at typical SIGTRAN sizes
// (the simulator's packets average 134 bytes of IP payload).
func BenchmarkChecksum(b *testing.B) {
	for _, n := range []int{32, 100, 200, 1400} {
		p := packet(n)
		b.Run(fmt.Sprintf("%dB", len(p)), func(b *testing.B) {
			b.SetBytes(int64(len(p)))
			b.ReportAllocs()
			for b.Loop() {
				if !ChecksumOK(p) {
					b.Fatal("bad checksum")
				}
			}
		})
	}
}
