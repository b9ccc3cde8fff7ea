package rules

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/sigprobe/sigprobe/sink"
)

// Attributes are the operator's static subscriber attributes (segment and
// tags), keyed by MSISDN or by IMSI. They are read-only once loaded; an Engine
// swaps in a reloaded set with SetAttributes.
type Attributes struct {
	byIMSI bool
	index  map[sink.Digits]int32
	recs   []attrRec
}

type attrRec struct {
	segment string
	tags    []string
	str     string // "segment=gold;tags=family,sport", for Trigger.Attrs
}

// Len is the number of subscribers with attributes.
func (a *Attributes) Len() int { return len(a.recs) }

func (a *Attributes) lookup(imsi, msisdn sink.Digits) *attrRec {
	if a == nil {
		return nil
	}
	k := msisdn
	if a.byIMSI {
		k = imsi
	}
	if k == 0 {
		return nil
	}
	if i, ok := a.index[k]; ok {
		return &a.recs[i]
	}
	return nil
}

// LoadAttributes reads an attributes CSV. The header's first column is msisdn
// or imsi and says how rows are keyed; the other columns are segment and tags
// (';'-separated), both optional. Lines starting with '#' are comments.
func LoadAttributes(path string) (*Attributes, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ParseAttributes(f, path)
}

// ParseAttributes reads an attributes CSV from r; name is used in errors.
// Errors never quote a subscriber number.
func ParseAttributes(r io.Reader, name string) (*Attributes, error) {
	br, err := textReader(r, name)
	if err != nil {
		return nil, err
	}
	cr := csv.NewReader(br)
	cr.Comment = '#'
	cr.TrimLeadingSpace = true
	head, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: line 1: want a header like msisdn,segment,tags", name)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	a := &Attributes{index: make(map[sink.Digits]int32)}
	keyCol := strings.ToLower(strings.TrimSpace(head[0]))
	switch keyCol {
	case "msisdn":
	case "imsi":
		a.byIMSI = true
	default:
		return nil, fmt.Errorf("%s: line 1: column 1: want msisdn or imsi, got %q", name, head[0])
	}
	segCol, tagCol := -1, -1
	for i, h := range head[1:] {
		switch c := strings.ToLower(strings.TrimSpace(h)); {
		case c == "segment" && segCol < 0:
			segCol = i + 1
		case c == "tags" && tagCol < 0:
			tagCol = i + 1
		default:
			return nil, fmt.Errorf("%s: line 1: column %d: want segment or tags (once each), got %q", name, i+2, h)
		}
	}
	intern := map[string]string{}
	in := func(s string) string {
		if v, ok := intern[s]; ok {
			return v
		}
		intern[s] = s
		return s
	}
	firstLine := map[sink.Digits]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		k := sink.MakeDigits(strings.TrimPrefix(strings.TrimSpace(rec[0]), "+"))
		if k == 0 {
			return nil, fmt.Errorf("%s: line %d: %s: want 1-15 digits", name, line, keyCol)
		}
		if prev, dup := firstLine[k]; dup {
			return nil, fmt.Errorf("%s: line %d: %s: duplicate (first at line %d)", name, line, keyCol, prev)
		}
		firstLine[k] = line
		var ar attrRec
		var parts []string
		if segCol > 0 {
			ar.segment = in(strings.TrimSpace(rec[segCol]))
			if ar.segment != "" {
				parts = append(parts, "segment="+ar.segment)
			}
		}
		if tagCol > 0 {
			for t := range strings.SplitSeq(rec[tagCol], ";") {
				if t = strings.TrimSpace(t); t != "" {
					ar.tags = append(ar.tags, in(t))
				}
			}
			if len(ar.tags) > 0 {
				parts = append(parts, "tags="+strings.Join(ar.tags, ","))
			}
		}
		ar.str = in(strings.Join(parts, ";"))
		a.index[k] = int32(len(a.recs))
		a.recs = append(a.recs, ar)
	}
	return a, nil
}

// Consent holds the opt-in and opt-out lists. Entries are MSISDNs or IMSIs;
// a subscriber is listed when its IMSI or its MSISDN is.
type Consent struct {
	in, out map[sink.Digits]struct{}
}

// NewConsent builds consent lists from numbers.
func NewConsent(optIn, optOut []sink.Digits) *Consent {
	c := &Consent{in: make(map[sink.Digits]struct{}, len(optIn)), out: make(map[sink.Digits]struct{}, len(optOut))}
	for _, d := range optIn {
		c.in[d] = struct{}{}
	}
	for _, d := range optOut {
		c.out[d] = struct{}{}
	}
	return c
}

// LoadConsent reads the opt-in and opt-out lists ("" skips one): one MSISDN
// (optionally with a leading '+') or IMSI per line; blank lines and lines
// starting with '#' are ignored.
func LoadConsent(optIn, optOut string) (*Consent, error) {
	c := NewConsent(nil, nil)
	for _, l := range []struct {
		path string
		set  map[sink.Digits]struct{}
	}{{optIn, c.in}, {optOut, c.out}} {
		if l.path == "" {
			continue
		}
		f, err := os.Open(l.path)
		if err != nil {
			return nil, err
		}
		err = readList(f, l.path, l.set)
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	return c, nil
}

func readList(r io.Reader, name string, set map[sink.Digits]struct{}) error {
	br, err := textReader(r, name)
	if err != nil {
		return err
	}
	sc := bufio.NewScanner(br)
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSpace(sc.Text())
		if s == "" || s[0] == '#' {
			continue
		}
		d := sink.MakeDigits(strings.TrimPrefix(s, "+"))
		if d == 0 {
			return fmt.Errorf("%s: line %d: want an MSISDN or IMSI (1-15 digits)", name, line)
		}
		set[d] = struct{}{}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

func (c *Consent) listed(set map[sink.Digits]struct{}, imsi, msisdn sink.Digits) bool {
	if _, ok := set[imsi]; ok {
		return true
	}
	if msisdn == 0 {
		return false
	}
	_, ok := set[msisdn]
	return ok
}

// textReader reads a text file as spreadsheets write them: a UTF-8
// byte-order mark at the start is skipped; UTF-16 is refused by name.
func textReader(r io.Reader, name string) (*bufio.Reader, error) {
	br := bufio.NewReader(r)
	b, _ := br.Peek(3)
	switch {
	case len(b) >= 3 && b[0] == 0xef && b[1] == 0xbb && b[2] == 0xbf:
		br.Discard(3)
	case len(b) >= 2 && (b[0] == 0xff && b[1] == 0xfe || b[0] == 0xfe && b[1] == 0xff):
		return nil, fmt.Errorf("%s: line 1: the file is UTF-16; save it as UTF-8 (CSV UTF-8 in a spreadsheet)", name)
	}
	return br, nil
}
