package summary

import (
	"bytes"
	"strings"
	"testing"

	"github.com/sigprobe/sigprobe/sink"
)

func TestReport(t *testing.T) {
	w := New()
	w.Write(&sink.Batch{
		RegionMinutes: []sink.RegionMinute{{Region: "mall", MinuteTS: 60, Occupancy: 3, Inflow: 3}, {Region: "mall", MinuteTS: 120, Occupancy: 7, Inflow: 4, ExitDwell: [8]uint32{0, 0, 0, 0, 2}}},
		Triggers:      []sink.Trigger{{Rule: "r1", Kind: "dwell"}, {Rule: "r1", Kind: "dwell"}},
		Subscribers:   []sink.Subscriber{{IMSI: sink.MakeDigits("001010000000001"), MSISDN: sink.MakeDigits("999700000001")}},
	})
	var b bytes.Buffer
	w.Report(&b)
	for _, want := range []string{"1 tracked, 1 MSISDNs", "region_minute=2", "mall", "peak     7 at 1970-01-01 00:02", "in      7", "stays over 1h 2/2", "r1", "dwell            2"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, b.String())
		}
	}
}
