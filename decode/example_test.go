package decode_test

import (
	"fmt"

	"github.com/sigprobe/sigprobe/decode"
)

// A worker owns one Stack and one reusable Message slice; each captured
// packet appends the messages it completes. Messages hold no references to
// the packet buffer, which the caller may reuse at once.
func ExampleStack_Decode() {
	st := decode.NewStack()
	msgs := make([]decode.Message, 0, 64)
	var line []byte
	for i, pkt := range [][]byte{ /* frames from a capture */ } {
		var err error
		msgs, err = st.Decode(msgs[:0], decode.LinkType(1), uint64(i+1), 0, pkt)
		_ = err // already counted in st.Stats by layer and reason
		for j := range msgs {
			line = decode.AppendJSON(line[:0], &msgs[j])
		}
	}
	fmt.Println(st.Stats.Packets, st.Stats.Messages, len(line))
	// Output: 0 0 0
}
