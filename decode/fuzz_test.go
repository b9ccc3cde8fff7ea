package decode

import (
	"testing"

	"github.com/gopacket/gopacket/layers"
)

// FuzzStack feeds whole frames of any link type through a Stack that keeps
// its reassembly state across inputs, and renders what comes out.
func FuzzStack(f *testing.F) {
	f.Add(uint16(layers.LinkTypeEthernet), []byte{})
	s := NewStack()
	var msgs []Message
	var line []byte
	f.Fuzz(func(t *testing.T, lt uint16, b []byte) {
		msgs, _ = s.Decode(msgs[:0], LinkType(lt), 1, 0, b)
		for i := range msgs {
			line = AppendJSON(line[:0], &msgs[i])
		}
	})
}
