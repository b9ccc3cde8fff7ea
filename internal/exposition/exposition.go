package exposition

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/VictoriaMetrics/metrics"

	"github.com/sigprobe/sigprobe/internal/buildinfo"
)

var once sync.Once

// setup turns on VictoriaMetrics' metadata lines (they carry each metric's
// type) and registers sigprobe_build_info, once per process.
func setup() {
	once.Do(func() {
		metrics.ExposeMetadata(true)
		in := buildinfo.Read()
		metrics.GetDefaultSet().NewGauge(fmt.Sprintf(`sigprobe_build_info{version=%q,revision=%q,goversion=%q}`,
			in.Version, in.Short(), in.Go), func() float64 { return 1 })
	})
}

// Handler serves Write on /metrics; process adds the go_* and process_*
// metrics of the running process.
func Handler(process bool) http.Handler {
	setup()
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		Write(w, process)
	})
}

// Write writes every registered metric in the Prometheus text format, one
// block per family: # HELP (where help.go has a text), # TYPE, then the
// samples of every set in the order the sets wrote them.
func Write(w io.Writer, process bool) {
	setup()
	var raw bytes.Buffer
	metrics.WritePrometheus(&raw, process)
	io.WriteString(w, Merge(raw.Bytes()))
}

// family is one metric family's type and sample lines.
type family struct {
	typ     string
	samples []string
}

// Merge regroups Prometheus text in which a family may appear several times
// (once per metrics.Set) into one block per family, sorted by name, and
// writes the help texts of help.go. Lines that follow no # TYPE of their
// own family are kept as untyped families of their own name.
func Merge(raw []byte) string {
	fams := map[string]*family{}
	get := func(name string) *family {
		f := fams[name]
		if f == nil {
			f = &family{typ: "untyped"}
			fams[name] = f
		}
		return f
	}
	cur := ""
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
		case strings.HasPrefix(line, "# TYPE "):
			f := strings.Fields(line)
			if len(f) == 4 {
				cur = f[2]
				if fam := get(cur); fam.typ == "untyped" {
					fam.typ = f[3]
				}
			}
		case strings.HasPrefix(line, "#"): // # HELP (empty from VictoriaMetrics) and comments
		default:
			name := line[:strings.IndexAny(line+" ", "{ ")]
			if cur == "" || !strings.HasPrefix(name, cur) {
				cur = ""
				get(name).samples = append(get(name).samples, line)
				continue
			}
			get(cur).samples = append(get(cur).samples, line)
		}
	}
	names := make([]string, 0, len(fams))
	for n := range fams {
		names = append(names, n)
	}
	slices.Sort(names)
	var b strings.Builder
	b.Grow(len(raw) + len(names)*64)
	for _, n := range names {
		f := fams[n]
		if h, ok := help[n]; ok {
			fmt.Fprintf(&b, "# HELP %s %s\n", n, h)
		}
		fmt.Fprintf(&b, "# TYPE %s %s\n", n, f.typ)
		for _, s := range f.samples {
			b.WriteString(s)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// Help returns the help text of a metric family.
func Help(family string) (string, bool) {
	h, ok := help[family]
	return h, ok
}

// Families lists the families help.go describes, sorted.
func Families() []string {
	out := make([]string, 0, len(help))
	for n := range help {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}
