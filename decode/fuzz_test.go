package decode

import (
	"testing"

	"github.com/gopacket/gopacket/layers"
)

// FuzzStack feeds whole frames of any link type through two Stacks that
// keep their reassembly state across inputs, and renders what comes out.
// One verifies checksums as in production; the other does not, so mutated
// frames (whose checksums no longer match) still reach the upper layers.
func FuzzStack(f *testing.F) {
	f.Add(uint16(layers.LinkTypeEthernet), []byte{})
	verify, deep := NewStack(), NewStack()
	deep.VerifyChecksum = false
	var msgs []Message
	var line []byte
	f.Fuzz(func(t *testing.T, lt uint16, b []byte) {
		for _, s := range []*Stack{verify, deep} {
			msgs, _ = s.Decode(msgs[:0], LinkType(lt), 1, 0, b)
			for i := range msgs {
				line = AppendJSON(line[:0], &msgs[i])
			}
		}
	})
}
