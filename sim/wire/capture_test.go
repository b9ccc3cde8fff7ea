package wire

import (
	"bytes"
	"os"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// want maps a tshark field to its expected value. Fields listed in
// exactFields must equal the value; for the others every comma-separated
// expected value must be among the occurrences tshark printed.
type want map[string]string

var exactFields = map[string]bool{
	"sccp.message_type":       true,
	"gsm_a.bssmap.msgtype":    true,
	"gsm_a.dtap.msg_mm_type":  true,
	"gsm_a.dtap.msg_cc_type":  true,
	"gsm_a.dtap.msg_sms_type": true,
	"gsm_a.dtap.msg_rr_type":  true,
	"gsm_a.dtap.msg_ss_type":  true,
	"gsm_old.localValue":      true,
	"sccp.slr":                true,
	"sccp.dlr":                true,
	"m3ua.protocol_data_opc":  true,
	"m3ua.protocol_data_dpc":  true,
	"vlan.id":                 true,
}

// link is one SCTP association carrying M3UA between two signalling points.
type link struct {
	ep   [2]Endpoint
	pc   [2]uint32
	vtag [2]uint32
	tsn  [2]uint32
	ssn  [2]uint16
	vlan uint16
}

// capture writes frames to a pcap and records what tshark should read.
type capture struct {
	t      *testing.T
	buf    bytes.Buffer
	w      *pcapgo.Writer
	ts     time.Time
	frames []want
	names  []string
	p      Packet
	ipID   uint16
	m3     []byte
}

func newCapture(t *testing.T) *capture {
	c := &capture{t: t, ts: time.Unix(1700000000, 0)}
	c.w = pcapgo.NewWriterNanos(&c.buf)
	if err := c.w.WriteFileHeader(65536, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *capture) start(l *link, dir int) {
	c.ipID++
	c.p.Reset(l.ep[dir], l.ep[1-dir], l.vlan, l.vtag[1-dir], c.ipID)
}

func (c *capture) write(name string, w want) {
	frame := c.p.Bytes()
	c.ts = c.ts.Add(10 * time.Millisecond)
	ci := gopacket.CaptureInfo{Timestamp: c.ts, CaptureLength: len(frame), Length: len(frame)}
	if err := c.w.WritePacket(ci, frame); err != nil {
		c.t.Fatal(err)
	}
	c.frames = append(c.frames, w)
	c.names = append(c.names, name)
}

func (c *capture) m3ua(l *link, dir int, sccp []byte) []byte {
	c.m3 = M3UAData(c.m3[:0], l.pc[dir], l.pc[1-dir], SISCCP, NINational, 0, uint8(l.ssn[dir]&0x0f), sccp)
	return c.m3
}

func (c *capture) data(l *link, dir int, flags uint8, m3 []byte, nextSSN bool) {
	l.tsn[dir]++
	c.p.AddData(flags, l.tsn[dir], 1, l.ssn[dir], PPIDM3UA, m3)
	if nextSSN {
		l.ssn[dir]++
	}
}

// send writes one frame with one M3UA DATA carrying sccp.
func (c *capture) send(name string, l *link, dir int, sccp []byte, w want) {
	c.start(l, dir)
	c.data(l, dir, ChunkB|ChunkE, c.m3ua(l, dir, sccp), true)
	c.write(name, w)
}

// sendFragmented writes the M3UA message in two DATA chunks (B, then E)
// in two frames; tshark reassembles it in the second.
func (c *capture) sendFragmented(name string, l *link, dir int, sccp []byte, w want) {
	m3 := c.m3ua(l, dir, sccp)
	half := len(m3) / 2
	c.start(l, dir)
	c.data(l, dir, ChunkB, m3[:half], false)
	c.write(name+" (fragment 1)", want{})
	c.start(l, dir)
	c.data(l, dir, ChunkE, m3[half:], true)
	c.write(name+" (fragment 2)", w)
}

// sendBundle writes one frame with a SACK and one DATA chunk per message.
func (c *capture) sendBundle(name string, l *link, dir int, w want, sccps ...[]byte) {
	c.start(l, dir)
	c.p.AddSACK(l.tsn[1-dir], 65536)
	for _, s := range sccps {
		m3 := append([]byte(nil), c.m3ua(l, dir, s)...)
		c.data(l, dir, ChunkB|ChunkE, m3, true)
	}
	c.write(name, w)
}

func (c *capture) save(t *testing.T) string {
	path := t.TempDir() + "/wire.pcap"
	if keep := os.Getenv("WIRE_PCAP"); keep != "" {
		path = keep
	}
	if err := os.WriteFile(path, c.buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
