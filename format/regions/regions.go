package regions

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
	_ "time/tzdata" // IANA zones even where the system has none

	"go.yaml.in/yaml/v3"
)

// File is the content of a regions.yaml.
type File struct {
	Regions []Region `yaml:"regions"`
	Groups  []Group  `yaml:"groups,omitempty"`
	dir     string   // directory of the file, for calendar paths
}

// Region is a named set of cells; a cell may belong to several regions.
type Region struct {
	Name  string `yaml:"name"`
	Kind  string `yaml:"kind"`
	Cells []Cell `yaml:"cells,flow"`
	line  int
}

// Cell is a cell by location area code and cell identity.
type Cell struct {
	LAC uint16 `yaml:"lac"`
	CI  uint16 `yaml:"ci"`
}

// Group is an enterprise whose members work in a region.
type Group struct {
	Name     string `yaml:"name"`
	Region   string `yaml:"region"`
	Workdays string `yaml:"workdays"`
	Start    string `yaml:"start"`
	End      string `yaml:"end"`
	// Timezone is the IANA name of the zone the hours, nights, weekdays and
	// calendar are in ("" is UTC).
	Timezone string `yaml:"timezone,omitempty"`
	// Calendar is a holiday calendar file (format/calendar), relative to
	// this file; "" for none.
	Calendar string `yaml:"calendar,omitempty"`
	line     int
}

// Location returns the group's time zone.
func (g *Group) Location() (*time.Location, error) {
	if g.Timezone == "" {
		return time.UTC, nil
	}
	return time.LoadLocation(g.Timezone)
}

// CalendarPath returns the path of g's calendar file ("" for none): relative
// paths are taken from the directory of the regions file.
func (f *File) CalendarPath(g *Group) string {
	if g.Calendar == "" || filepath.IsAbs(g.Calendar) {
		return g.Calendar
	}
	return filepath.Join(f.dir, g.Calendar)
}

// Write encodes f as YAML.
func (f *File) Write(w io.Writer) error {
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(f); err != nil {
		return err
	}
	return enc.Close()
}

// Load reads and validates a regions file. Errors name the file, line and field.
func Load(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := Parse(b, path)
	if err != nil {
		return nil, err
	}
	f.dir = filepath.Dir(path)
	return f, nil
}

// Parse decodes and validates a regions file; name is used in errors.
func Parse(b []byte, name string) (*File, error) {
	regs, rest, fast := fastRegions(b)
	if !fast {
		return parseYAML(b, name, nil)
	}
	return parseYAML(rest, name, regs)
}

// parseYAML decodes b with the YAML decoder. regs, when not nil, are the
// regions read by fastRegions (b then has their section blanked).
func parseYAML(b []byte, name string, regs []Region) (*File, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: %s", name, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	var f File
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		msg = strings.TrimPrefix(msg, "unmarshal errors:")
		return nil, fmt.Errorf("%s: %s", name, strings.Join(strings.Fields(msg), " "))
	}
	if regs != nil {
		f.Regions = regs
	}
	// Attach line numbers from the node tree for semantic errors.
	if len(doc.Content) > 0 {
		for _, lst := range []struct {
			key string
			set func(i, line int)
		}{
			{"regions", func(i, l int) {
				if i < len(f.Regions) && regs == nil {
					f.Regions[i].line = l
				}
			}},
			{"groups", func(i, l int) {
				if i < len(f.Groups) { // a null item ("- " alone) decodes to none
					f.Groups[i].line = l
				}
			}},
		} {
			if n := mapValue(doc.Content[0], lst.key); n != nil {
				for i, item := range n.Content {
					lst.set(i, item.Line)
				}
			}
		}
	}
	if err := f.validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &f, nil
}

func mapValue(m *yaml.Node, key string) *yaml.Node {
	if m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func (f *File) validate() error {
	if len(f.Regions) == 0 {
		return errors.New("line 1: regions: no regions defined")
	}
	seen := make(map[string]bool, len(f.Regions))
	for i, r := range f.Regions {
		switch {
		case r.Name == "" || strings.ContainsAny(r.Name, " .*>\t"):
			return fmt.Errorf("line %d: regions[%d].name: want a non-empty name without spaces, dots, '*' or '>', got %q", r.line, i, r.Name)
		case seen[r.Name]:
			return fmt.Errorf("line %d: regions[%d].name: duplicate region %q", r.line, i, r.Name)
		case len(r.Cells) == 0:
			return fmt.Errorf("line %d: regions[%d].cells: region %q has no cells", r.line, i, r.Name)
		}
		seen[r.Name] = true
	}
	for i, g := range f.Groups {
		if g.Name == "" {
			return fmt.Errorf("line %d: groups[%d].name: missing", g.line, i)
		}
		if !seen[g.Region] {
			return fmt.Errorf("line %d: groups[%d].region: unknown region %q", g.line, i, g.Region)
		}
		if _, err := g.Location(); err != nil {
			return fmt.Errorf("line %d: groups[%d].timezone: want an IANA zone name like Asia/Shanghai, got %q", g.line, i, g.Timezone)
		}
		if err := g.checkHours(); err != nil {
			return fmt.Errorf("line %d: groups[%d].%w", g.line, i, err)
		}
	}
	return nil
}

// checkHours checks the working days and hours a group gives.
func (g *Group) checkHours() error {
	if g.Workdays != "" {
		if _, err := ParseWeekdays(g.Workdays); err != nil {
			return fmt.Errorf("workdays: %w", err)
		}
	}
	for _, f := range []struct{ key, v string }{{"start", g.Start}, {"end", g.End}} {
		if f.v != "" {
			if _, err := ParseClock(f.v); err != nil {
				return fmt.Errorf("%s: %w", f.key, err)
			}
		}
	}
	return nil
}

var dayNames = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// ParseWeekdays parses "mon-fri" or "mon,wed,fri" (ranges may wrap:
// "fri-mon") into a bit mask indexed by time.Weekday.
func ParseWeekdays(s string) (uint8, error) {
	idx := func(n string) int {
		n = strings.TrimSpace(strings.ToLower(n))
		for i, d := range dayNames {
			if d == n {
				return i
			}
		}
		return -1
	}
	var mask uint8
	for _, part := range strings.Split(s, ",") {
		a, b, isRange := strings.Cut(part, "-")
		i, j := idx(a), idx(a)
		if isRange {
			j = idx(b)
		}
		if i < 0 || j < 0 {
			return 0, fmt.Errorf("want days like \"mon-fri\" or \"mon,wed\", got %q", s)
		}
		for k := i; ; k = (k + 1) % 7 {
			mask |= 1 << k
			if k == j {
				break
			}
		}
	}
	return mask, nil
}

// ParseClock parses a time of day "HH:MM" (00:00 to 23:59) into seconds
// after midnight.
func ParseClock(s string) (int, error) {
	var h, m int
	if len(s) != 5 || s[2] != ':' || !digits(s[:2]) || !digits(s[3:]) {
		return 0, fmt.Errorf("want HH:MM, got %q", s)
	}
	h, m = int(s[0]-'0')*10+int(s[1]-'0'), int(s[3]-'0')*10+int(s[4]-'0')
	if h > 23 || m > 59 {
		return 0, fmt.Errorf("want HH:MM from 00:00 to 23:59, got %q", s)
	}
	return h*3600 + m*60, nil
}

func digits(s string) bool { return strings.Trim(s, "0123456789") == "" }
