package rules

import (
	"strings"
	"testing"
	"time"

	"github.com/sigprobe/sigprobe/sink"
)

// FuzzParse: Parse never panics, errors name the file, and whatever it
// accepts runs through an Engine without panicking.
func FuzzParse(f *testing.F) {
	f.Add([]byte(base))
	f.Add([]byte(benchRules))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := Parse(b, "fuzz.yaml", regionNames)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.yaml: ") {
				t.Fatalf("error without the file name: %v", err)
			}
			return
		}
		if len(s.rules) == 0 {
			t.Fatal("accepted a rule set without rules")
		}
		e := New(s, nil, NewConsent([]sink.Digits{sink.MakeDigits(homeIMSI)}, nil))
		var out []sink.Trigger
		ts := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
		for k := range numKinds {
			for _, region := range []int32{-1, mall} {
				fact := Fact{Kind: k, TS: ts, IMSI: sink.MakeDigits(homeIMSI), Region: region, OffS: 1 << 40, InRegionS: 1 << 40, DurationS: 1 << 40, Peer: sink.MakeDigits("999801234567"), MO: k%2 == 0}
				out = e.Observe(&fact, out)
				ts += int64(time.Hour)
			}
		}
		e.Advance(ts+int64(400*24*time.Hour), out)
	})
}

// FuzzLists: the attributes CSV and the consent lists, as spreadsheets and
// hands write them, never panic, and their errors name the file.
func FuzzLists(f *testing.F) {
	f.Add([]byte("\ufeffmsisdn,segment,tags\r\n999700000001,gold,sport;music\r\n"))
	f.Add([]byte("# export\nIMSI,tags\n001010000000001,x\n"))
	f.Add([]byte("\xff\xfem\x00s\x00"))
	f.Add([]byte("+999700000001\n\n# c\n001010000000002\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := ParseAttributes(strings.NewReader(string(b)), "a.csv"); err != nil && !strings.HasPrefix(err.Error(), "a.csv") {
			t.Fatalf("error without the file name: %v", err)
		}
		if err := readList(strings.NewReader(string(b)), "l.txt", map[sink.Digits]struct{}{}); err != nil && !strings.HasPrefix(err.Error(), "l.txt") {
			t.Fatalf("error without the file name: %v", err)
		}
	})
}
