package decode

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sigprobe/sigprobe/decode/tcap"
)

// TestMAPErrorNames holds every local error code of the map-errors fixture
// (1 to 75) to the name tshark gives it (testdata/map-errors.pcap.names.tsv,
// written by -write-fixtures), and checks each returnError's JSON line
// carries the code as "err".
func TestMAPErrorNames(t *testing.T) {
	path := filepath.Join("testdata", "map-errors.pcap")
	f, err := os.Open(path + ".names.tsv")
	if err != nil {
		t.Fatalf("%v (regenerate with -write-fixtures)", err)
	}
	defer f.Close()
	want := map[int32]string{}
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		code, name, _ := strings.Cut(sc.Text(), "\t")
		n, err := strconv.Atoi(code)
		if err != nil {
			t.Fatalf("bad line %q", sc.Text())
		}
		if name == "Unknown" {
			name = ""
		}
		want[int32(n)] = name
	}
	if len(want) != 75 {
		t.Fatalf("%d codes in the golden, want 75", len(want))
	}
	named := 0
	for code, name := range want {
		if got := tcap.ErrorName(code); got != name {
			t.Errorf("error %d: %q, tshark %q", code, got, name)
		}
		if name != "" {
			named++
		}
	}
	msgs, _ := decodeFile(t, path)
	if len(msgs) != 75 {
		t.Fatalf("%d messages, want 75", len(msgs))
	}
	for i := range msgs {
		m := &msgs[i]
		code := int32(m.Frame)
		if m.Comp != CompError || m.Has&HasCause == 0 || int32(m.Cause) != code {
			t.Fatalf("frame %d: comp %v code %d", m.Frame, m.Comp, m.Cause)
		}
		line := string(AppendJSON(nil, m))
		key := `"comp":"error","err":` + strconv.Itoa(int(code))
		if !strings.Contains(line, key+",") && !strings.HasSuffix(line, key+"}") {
			t.Errorf("frame %d: no err key: %s", m.Frame, line)
		}
		if name := want[code]; name != "" && !strings.Contains(line, `"name":"`+name+`"`) {
			t.Errorf("frame %d: name missing: %s", m.Frame, line)
		}
	}
	t.Logf("%d of 75 codes named", named)
	for _, c := range []int32{-1, 0, 76, 1 << 20} {
		if n := tcap.ErrorName(c); n != "" {
			t.Errorf("ErrorName(%d) = %q", c, n)
		}
	}
}
