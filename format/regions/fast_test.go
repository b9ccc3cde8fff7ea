package regions

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// sameAsYAML fails t when Parse (the fast path where it applies) and the
// YAML decoder alone read b differently: the same File, line numbers
// included, or the same error.
func sameAsYAML(t *testing.T, b []byte) (fast bool) {
	t.Helper()
	got, gerr := Parse(b, "f.yaml")
	want, werr := parseYAML(b, "f.yaml", nil)
	if fmt.Sprint(gerr) != fmt.Sprint(werr) {
		t.Fatalf("error %v, the YAML decoder says %v\n%s", gerr, werr, b)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("read\n%#v\nthe YAML decoder reads\n%#v\n%s", got, want, b)
	}
	_, _, fast = fastRegions(b)
	return fast
}

func TestFastPathReadsAsYAML(t *testing.T) {
	for _, tc := range []struct {
		name string
		yaml string
		fast bool // the fast path takes it
	}{
		{"as written", good, true},
		{"comments and blank lines", "# regions\nregions:   # the list\n\n  # first\n  - name: a   # shop\n    kind: 'mall'\n    cells: [{lac: 1, ci: 2}, {ci: 4, lac: 3}]  # two\n\n  - kind: \"x\"\n    name: b\n    cells: [ { lac: 0, ci: 65535 } ]\n", true},
		{"no indent", "regions:\n- name: a\n  kind: k\n  cells: [{lac: 1, ci: 2}]\n", true},
		{"groups first", "groups:\n  - {name: g, region: a, workdays: mon-fri, start: \"09:00\", end: \"17:00\"}\nregions:\n  - name: a\n    kind: k\n    cells: [{lac: 1, ci: 2}]\n", true},
		{"CRLF", strings.ReplaceAll(good, "\n", "\r\n"), true},
		{"block cells", "regions:\n  - name: a\n    kind: k\n    cells:\n      - {lac: 1, ci: 2}\n", false},
		{"unknown key", strings.Replace(good, "kind: mall", "kind: mall\n    colour: red", 1), false},
		{"duplicate key", strings.Replace(good, "kind: mall", "kind: mall\n    kind: shop", 1), false},
		{"no cells", "regions:\n  - name: a\n    kind: k\n", false},
		{"empty cells", "regions:\n  - name: a\n    kind: k\n    cells: []\n", true},
		{"ci out of range", strings.Replace(good, "ci: 10100", "ci: 70000", 1), false},
		{"leading zero", strings.Replace(good, "ci: 10100", "ci: 010", 1), false},
		{"hex", strings.Replace(good, "ci: 10100", "ci: 0x10", 1), false},
		{"a name YAML reads as a boolean", strings.Replace(good, "name: mall", "name: yes", 1), false},
		{"a number as name", strings.Replace(good, "name: mall", "name: 123", 1), false},
		{"bad name", strings.Replace(good, "name: mall", "name: \"big mall\"", 1), true},
		{"flow regions", "regions: [{name: a, kind: k, cells: [{lac: 1, ci: 2}]}]\n", false},
		{"duplicate region key", good + "regions:\n  - name: z\n    kind: k\n    cells: [{lac: 1, ci: 2}]\n", true},
		{"tab", strings.Replace(good, "    kind: mall", "\tkind: mall", 1), false},
		{"anchor", strings.Replace(good, "kind: mall", "kind: &k mall", 1), false},
		{"not yaml", "regions: [", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if fast := sameAsYAML(t, []byte(tc.yaml)); fast != tc.fast {
				t.Fatalf("fast path taken: %v, want %v", fast, tc.fast)
			}
		})
	}
}

// FuzzFastPath: whatever the input, the fast path reads it as the YAML
// decoder does (or leaves it to the decoder).
func FuzzFastPath(f *testing.F) {
	f.Add([]byte(good))
	f.Add([]byte("regions:\n- name: a\n  kind: k\n  cells: [{lac: 1, ci: 2}]  # c\ngroups: []\n"))
	f.Add([]byte("regions:\n  - name: a\n    cells: [{ci: 1, lac: 2}, {lac: 3, ci: 4}]\n    kind: 'q'\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 4096 {
			return
		}
		sameAsYAML(t, b)
	})
}
