package calendar

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Kind says how a date differs from the weekly pattern.
type Kind uint8

const (
	None    Kind = iota // the weekly pattern decides
	Holiday             // a public holiday: a rest day whatever the weekday
	Workday             // a make-up working day: worked whatever the weekday
)

func (k Kind) String() string {
	switch k {
	case Holiday:
		return "holiday"
	case Workday:
		return "workday"
	}
	return "none"
}

// Day is one dated exception to the weekly pattern.
type Day struct {
	Date time.Time // midnight UTC of the civil date
	Kind Kind
	Name string
}

// Calendar is the content of a calendar file.
type Calendar struct {
	Name string // the file's base name without extension
	Days []Day  // sorted by date
	idx  map[int64]Kind
}

// Header is the first line of a calendar file.
const Header = "date,kind,name"

// Load reads a calendar file. Its name is the file's base name without
// extension (cn-2026.csv is "cn-2026").
func Load(path string) (*Calendar, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c, err := Parse(b, path)
	if err != nil {
		return nil, err
	}
	c.Name = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	return c, nil
}

// Parse decodes a calendar: the header line "date,kind,name", then one
// date (YYYY-MM-DD), a kind (holiday or workday) and an optional name per
// line; blank lines and lines starting with '#' are skipped. Errors name the
// file (name), the line and the field.
func Parse(b []byte, name string) (*Calendar, error) {
	c := &Calendar{idx: map[int64]Kind{}}
	sc := bufio.NewScanner(bytes.NewReader(b))
	line, header := 0, false
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		if !header {
			if strings.ReplaceAll(strings.TrimPrefix(s, "\ufeff"), " ", "") != Header {
				return nil, fmt.Errorf("%s: line %d: want the header %q, got %q", name, line, Header, s)
			}
			header = true
			continue
		}
		f := strings.SplitN(s, ",", 3)
		if len(f) < 2 {
			return nil, fmt.Errorf("%s: line %d: want date,kind[,name], got %q", name, line, s)
		}
		d, err := time.Parse("2006-01-02", strings.TrimSpace(f[0]))
		if err != nil {
			return nil, fmt.Errorf("%s: line %d: date: want YYYY-MM-DD, got %q", name, line, f[0])
		}
		var k Kind
		switch strings.TrimSpace(f[1]) {
		case "holiday":
			k = Holiday
		case "workday":
			k = Workday
		default:
			return nil, fmt.Errorf("%s: line %d: kind: want holiday or workday, got %q", name, line, f[1])
		}
		if _, dup := c.idx[d.Unix()]; dup {
			return nil, fmt.Errorf("%s: line %d: date: %s is listed twice", name, line, f[0])
		}
		nm := ""
		if len(f) == 3 {
			nm = strings.TrimSpace(f[2])
		}
		c.idx[d.Unix()] = k
		c.Days = append(c.Days, Day{Date: d, Kind: k, Name: nm})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if !header {
		return nil, fmt.Errorf("%s: line 1: empty calendar, want the header %q", name, Header)
	}
	sort.Slice(c.Days, func(i, j int) bool { return c.Days[i].Date.Before(c.Days[j].Date) })
	return c, nil
}

// Kind returns how the civil date y-m-d differs from the weekly pattern. A
// nil calendar has no exceptions.
func (c *Calendar) Kind(y int, m time.Month, d int) Kind {
	if c == nil {
		return None
	}
	return c.idx[time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix()]
}

// Works reports whether the civil date y-m-d is a working day for a group
// whose weekly pattern is mask (bit per time.Weekday): a make-up working day
// always is, a holiday never is, any other day when its weekday is in mask.
func (c *Calendar) Works(y int, m time.Month, d int, mask uint8) bool {
	switch c.Kind(y, m, d) {
	case Holiday:
		return false
	case Workday:
		return true
	}
	return mask&(1<<time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Weekday()) != 0
}

// Write encodes c in the file format.
func (c *Calendar) Write(w io.Writer) error {
	var b strings.Builder
	b.WriteString(Header + "\n")
	for _, d := range c.Days {
		fmt.Fprintf(&b, "%s,%s,%s\n", d.Date.Format("2006-01-02"), d.Kind, d.Name)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
