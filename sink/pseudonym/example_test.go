package pseudonym

import (
	"os"
	"regexp"
	"testing"

	"github.com/sigprobe/sigprobe/sink"
)

// The worked example of deploy/SECURITY.md is what the code computes.
func TestSecurityExample(t *testing.T) {
	b, err := os.ReadFile("../../deploy/SECURITY.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("with the key\\s+`([^`]+)`, the IMSI `(\\d+)`\\s+has the pseudonym `([0-9a-f]{16})` and the key id is `([0-9a-f]{8})`").FindSubmatch(b)
	if m == nil {
		t.Fatal("deploy/SECURITY.md: the worked example is not where this test looks")
	}
	k, err := NewKey(m[1])
	if err != nil {
		t.Fatal(err)
	}
	if got := k.Of(IMSI, sink.MakeDigits(m[2])).String(); got != string(m[3]) {
		t.Errorf("SECURITY.md says %s, the code %s", m[3], got)
	}
	if k.ID() != string(m[4]) {
		t.Errorf("SECURITY.md says key id %s, the code %s", m[4], k.ID())
	}
}
