package sctp

import (
	"encoding/binary"
	"hash/crc32"
)

// castagnoli is the CRC32c table; hash/crc32 recognises it and uses the
// SSE4.2 / ARMv8 CRC instructions where the CPU has them.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Checksum returns the CRC32c of the SCTP packet b (common header and
// chunks) computed with its checksum field taken as zero (RFC 9260 6.8,
// appendix A). b must hold at least the 12-byte common header.
//
// The four zero bytes of the field go through the byte-wise table rather
// than a third crc32.Update call, whose fixed cost is most of the work on a
// short packet.
func Checksum(b []byte) uint32 {
	c := ^crc32.Update(0, castagnoli, b[:8])
	for range 4 {
		c = castagnoli[byte(c)] ^ c>>8
	}
	return crc32.Update(^c, castagnoli, b[12:])
}

// StoredChecksum returns the checksum field of packet b. The CRC32c goes on
// the wire least significant byte first (the reflected CRC's natural order,
// as RFC 9260 appendix A's sample code stores it), so it reads little-endian.
func StoredChecksum(b []byte) uint32 { return binary.LittleEndian.Uint32(b[8:12]) }

// ChecksumOK reports whether b is long enough for a common header and its
// stored checksum matches its content.
func ChecksumOK(b []byte) bool {
	return len(b) >= 12 && StoredChecksum(b) == Checksum(b)
}
