package clickhouse

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The README lists exactly the metrics the writer registers, and its DSN
// examples parse.
func TestREADME(t *testing.T) {
	text, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	var documented []string
	for _, m := range regexp.MustCompile("`(sigprobe_[a-z_]+)").FindAllStringSubmatch(string(text), -1) {
		documented = append(documented, m[1])
	}
	slices.Sort(documented)
	documented = slices.Compact(documented)

	w := mustNew(t, Config{SpoolDir: t.TempDir()}, newFake())
	var registered []string
	for _, name := range w.set.ListMetricNames() {
		name, _, _ = strings.Cut(name, "{")
		registered = append(registered, name)
	}
	slices.Sort(registered)
	registered = slices.Compact(registered)
	if !slices.Equal(documented, registered) {
		t.Errorf("README metrics %v, the writer registers %v", documented, registered)
	}

	dsns := regexp.MustCompile("(?:`|--dsn )((?:clickhouse|https?)://[^`\\s]+)").FindAllStringSubmatch(string(text), -1)
	if len(dsns) < 4 {
		t.Fatalf("found %d DSN examples in the README", len(dsns))
	}
	for _, m := range dsns {
		if _, err := openOptions(m[1]); err != nil {
			t.Errorf("README DSN %s: %v", m[1], err)
		}
	}
}
