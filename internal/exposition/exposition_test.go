package exposition

import (
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/VictoriaMetrics/metrics"
)

func TestMerge(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{
			name: "a family in two sets becomes one block",
			in: "# HELP sigprobe_sink_rows_total\n# TYPE sigprobe_sink_rows_total counter\n" +
				"sigprobe_sink_rows_total{sink=\"parquet\",table=\"dwell\"} 5\n" +
				"# HELP sigprobe_track_subscribers\n# TYPE sigprobe_track_subscribers gauge\nsigprobe_track_subscribers 7\n" +
				"# HELP sigprobe_sink_rows_total\n# TYPE sigprobe_sink_rows_total counter\n" +
				"sigprobe_sink_rows_total{sink=\"nats\",table=\"triggers\"} 2\n",
			want: "# HELP sigprobe_sink_rows_total " + help["sigprobe_sink_rows_total"] + "\n# TYPE sigprobe_sink_rows_total counter\n" +
				"sigprobe_sink_rows_total{sink=\"parquet\",table=\"dwell\"} 5\n" +
				"sigprobe_sink_rows_total{sink=\"nats\",table=\"triggers\"} 2\n" +
				"# HELP sigprobe_track_subscribers " + help["sigprobe_track_subscribers"] + "\n# TYPE sigprobe_track_subscribers gauge\nsigprobe_track_subscribers 7\n",
		},
		{
			name: "histogram samples stay with their family; unknown families get no HELP",
			in:   "# HELP x_seconds\n# TYPE x_seconds histogram\nx_seconds_bucket{le=\"1\"} 1\nx_seconds_bucket{le=\"+Inf\"} 1\nx_seconds_sum 0.5\nx_seconds_count 1\n",
			want: "# TYPE x_seconds histogram\nx_seconds_bucket{le=\"1\"} 1\nx_seconds_bucket{le=\"+Inf\"} 1\nx_seconds_sum 0.5\nx_seconds_count 1\n",
		},
		{
			name: "samples without metadata are untyped families of their own",
			in:   "# TYPE a counter\na 1\nb{x=\"1\"} 2\n",
			want: "# TYPE a counter\na 1\n# TYPE b untyped\nb{x=\"1\"} 2\n",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Merge([]byte(tc.in)); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

// The handler's output has sigprobe_build_info and one HELP and one TYPE per
// family even when two registered sets share a family.
func TestHandler(t *testing.T) {
	a, b := metrics.NewSet(), metrics.NewSet()
	a.NewCounter(`sigprobe_sink_rows_total{sink="parquet",table="dwell"}`).Set(3)
	b.NewCounter(`sigprobe_sink_rows_total{sink="nats",table="triggers"}`).Set(4)
	b.NewPrometheusHistogram(`sigprobe_sink_publish_seconds{sink="nats",table="triggers"}`).Update(0.01)
	metrics.RegisterSet(a)
	metrics.RegisterSet(b)
	defer metrics.UnregisterSet(a, true)
	defer metrics.UnregisterSet(b, true)

	rec := httptest.NewRecorder()
	Handler(true).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("Content-Type %q", ct)
	}
	types := map[string]int{}
	for _, line := range strings.Split(body, "\n") {
		if f := strings.Fields(line); len(f) >= 3 && f[0] == "#" && (f[1] == "TYPE" || f[1] == "HELP") {
			types[f[1]+" "+f[2]]++
		}
	}
	for k, n := range types {
		if n != 1 {
			t.Errorf("%q appears %d times", k, n)
		}
	}
	for _, want := range []string{
		"# TYPE sigprobe_sink_rows_total counter\nsigprobe_sink_rows_total{sink=\"parquet\",table=\"dwell\"} 3\nsigprobe_sink_rows_total{sink=\"nats\",table=\"triggers\"} 4\n",
		"# TYPE sigprobe_sink_publish_seconds histogram\n",
		"# TYPE sigprobe_build_info gauge\nsigprobe_build_info{version=",
		"# TYPE go_goroutines gauge\n",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("output lacks %q:\n%s", want, body)
		}
	}
}

// README.md's metric list and help.go name the same families.
func TestREADMEListsEveryFamily(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	listed := READMEMetrics(t, string(readme))
	for _, n := range listed {
		if _, ok := help[n]; !ok {
			t.Errorf("README lists %s, help.go has no text for it", n)
		}
	}
	for n := range help {
		if !slices.Contains(listed, n) {
			t.Errorf("help.go describes %s, README's Metrics section does not list it", n)
		}
	}
}

// READMEMetrics reads the metric names of README's "## Metrics" section.
// A name written as _what continues the last full name's component
// (sigprobe_capture_packets_total, _kernel_drops_total).
func READMEMetrics(t *testing.T, readme string) []string {
	_, sec, ok := strings.Cut(readme, "\n## Metrics\n")
	if !ok {
		t.Fatal("README.md has no ## Metrics section")
	}
	sec, _, _ = strings.Cut(sec, "\n## ")
	var out []string
	prefix := ""
	for _, m := range regexp.MustCompile("`(sigprobe_[a-z0-9_]+|_[a-z0-9_]+)(\\{[^}`]*\\})?`").FindAllStringSubmatch(sec, -1) {
		name := m[1]
		if strings.HasPrefix(name, "_") {
			if prefix == "" {
				t.Fatalf("README: %s follows no full metric name", name)
			}
			name = prefix + name
		} else {
			parts := strings.SplitN(name, "_", 3)
			prefix = parts[0] + "_" + parts[1]
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}
