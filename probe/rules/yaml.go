package rules

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// The rules file's YAML shape. The decoder runs strictly (unknown keys are
// errors) into these structs; every leaf is a small type that keeps the line
// it came from and checks its own shape and syntax, so one error names the
// file, the line and the field. What depends on other fields (the kind, the
// region names, the consent lists) is checked when the set is compiled.

type fileDoc struct {
	Timezone  *word      `yaml:"timezone"`
	MaxPerDay *posInt    `yaml:"max_per_subscriber_per_day"`
	OptIn     *word      `yaml:"opt_in"`
	OptOut    *word      `yaml:"opt_out"`
	Rules     []*ruleDoc `yaml:"rules"`
}

const topKeys = "timezone, max_per_subscriber_per_day, opt_in, opt_out or rules"

// ruleDoc is one rule. Fields tagged kinds:"..." are valid only for those
// rule kinds.
type ruleDoc struct {
	Name *word `yaml:"name"`
	Kind *word `yaml:"kind"`

	Regions        *words      `yaml:"regions"`
	Roamers        *word       `yaml:"roamers"`
	HomePLMNs      *digitsList `yaml:"home_plmns"`
	IMSIPrefix     *digitsList `yaml:"imsi_prefix"`
	MSISDNPrefix   *digitsList `yaml:"msisdn_prefix"`
	Hours          *words      `yaml:"hours"`
	Weekdays       *words      `yaml:"weekdays"`
	Segment        *words      `yaml:"segment"`
	TagsAny        *words      `yaml:"tags_any"`
	TagsAll        *words      `yaml:"tags_all"`
	RequireConsent *boolean    `yaml:"require_consent"`
	After          *afterDoc   `yaml:"after"`
	Count          *countDoc   `yaml:"count" kinds:"region_enter region_exit power_on power_off call sms location_update roam_out roam_return"`

	MinInterval  *duration `yaml:"min_interval"`
	MaxPerMinute *posInt   `yaml:"max_per_minute"`

	Campaign     *word  `yaml:"campaign"`
	ControlShare *share `yaml:"control_share"`

	Dwell        *duration   `yaml:"dwell" kinds:"dwell"`
	For          *duration   `yaml:"for" kinds:"silent"`
	OffFor       *duration   `yaml:"off_for" kinds:"power_on"`
	MinStay      *duration   `yaml:"min_stay" kinds:"region_exit"`
	Direction    *word       `yaml:"direction" kinds:"call sms"`
	PeerPrefix   *digitsList `yaml:"peer_prefix" kinds:"call sms"`
	MinDuration  *duration   `yaml:"min_duration" kinds:"call"`
	MaxDuration  *duration   `yaml:"max_duration" kinds:"call"`
	Answered     *boolean    `yaml:"answered" kinds:"call"`
	Causes       *causeList  `yaml:"causes" kinds:"call"`
	CountryCodes *digitsList `yaml:"country_codes" kinds:"roam_out roam_return"`
}

// afterDoc: the rule fires only if rule Rule matched the subscriber within
// Within before.
type afterDoc struct {
	Rule   *word     `yaml:"rule"`
	Within *duration `yaml:"within"`
}

// countDoc: the rule fires only when at least N of its matching facts (this
// one included) fell within Within.
type countDoc struct {
	N      *posInt   `yaml:"n"`
	Within *duration `yaml:"within"`
}

// posErr is an error at a node of the file; Parse turns the position into
// the field's path.
type posErr struct {
	line, col int
	msg       string
}

func (e *posErr) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.msg) }

func errAt(n *yaml.Node, format string, args ...any) error {
	return &posErr{n.Line, n.Column, fmt.Sprintf(format, args...)}
}

// srcLine is the line a leaf came from.
type srcLine struct{ line int }

func (a srcLine) pos() int { return a.line }

func scalarNode(n *yaml.Node) (string, error) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return "", errAt(n, "want a single value")
	}
	return n.Value, nil
}

// word is one scalar.
type word struct {
	srcLine
	v string
}

func (w *word) UnmarshalYAML(n *yaml.Node) (err error) {
	w.line = n.Line
	w.v, err = scalarNode(n)
	return err
}

// words is one scalar or a non-empty list of non-empty scalars.
type words struct {
	srcLine
	v []string
}

func (w *words) UnmarshalYAML(n *yaml.Node) error {
	w.line = n.Line
	if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		w.v = []string{n.Value}
		return nil
	}
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		return errAt(n, "want a non-empty list")
	}
	for _, c := range n.Content {
		for c.Kind == yaml.AliasNode && c.Alias != nil {
			c = c.Alias
		}
		v, err := scalarNode(c)
		if err != nil {
			return err
		}
		if v == "" {
			return errAt(c, "empty value")
		}
		w.v = append(w.v, v)
	}
	return nil
}

// digitsList is a words of digit strings, checked against a length range
// when compiled (it depends on the field).
type digitsList struct{ words }

func (d *digitsList) prefixes(field string, minLen, maxLen int) ([]prefix, error) {
	out := make([]prefix, len(d.v))
	for i, v := range d.v {
		ok := len(v) >= minLen && len(v) <= maxLen
		var x uint64
		for j := 0; ok && j < len(v); j++ {
			ok = v[j] >= '0' && v[j] <= '9'
			x = x*10 + uint64(v[j]-'0')
		}
		if !ok {
			want := fmt.Sprintf("%d-%d digits", minLen, maxLen)
			if minLen == 5 {
				want = "MCC+MNC, 5 or 6 digits, quoted"
			}
			return nil, lineErr(d.line, field, "want %s, got %q", want, v)
		}
		out[i] = prefix{v: x, n: len(v)}
	}
	return out, nil
}

// causeList is a list of CC cause values (TS 24.008 10.5.4.11), 1-127.
type causeList struct {
	srcLine
	v []uint8
}

func (c *causeList) UnmarshalYAML(n *yaml.Node) error {
	var w words
	if err := w.UnmarshalYAML(n); err != nil {
		return err
	}
	c.line = n.Line
	for _, s := range w.v {
		x, err := strconv.Atoi(s)
		if err != nil || x < 1 || x > 127 {
			return errAt(n, "want CC cause values 1-127 (17 user busy, 18 no user responding, 19 no answer, 20 subscriber absent), got %q", s)
		}
		c.v = append(c.v, uint8(x))
	}
	return nil
}

// duration is a Go duration (90s, 10m, 1h30m) or whole days (3d), > 0.
type duration struct {
	srcLine
	ns int64
}

func (d *duration) UnmarshalYAML(n *yaml.Node) error {
	d.line = n.Line
	s, err := scalarNode(n)
	if err != nil {
		return err
	}
	x, ok := parseDuration(s)
	if !ok {
		return errAt(n, "want a duration like 10m, got %q", s)
	}
	d.ns = int64(x)
	return nil
}

// posInt is a positive integer.
type posInt struct {
	srcLine
	v int64
}

func (p *posInt) UnmarshalYAML(n *yaml.Node) error {
	p.line = n.Line
	s, err := scalarNode(n)
	if err != nil {
		return err
	}
	x, err := strconv.ParseInt(s, 10, 64)
	if err != nil || x <= 0 {
		return errAt(n, "want a positive integer, got %q", s)
	}
	p.v = x
	return nil
}

// boolean is true or false.
type boolean struct {
	srcLine
	v bool
}

func (b *boolean) UnmarshalYAML(n *yaml.Node) error {
	b.line = n.Line
	s, err := scalarNode(n)
	if err != nil {
		return err
	}
	switch strings.ToLower(s) {
	case "true":
		b.v = true
	case "false":
	default:
		return errAt(n, "want true or false, got %q", s)
	}
	return nil
}

// share is a number from 0 to 1.
type share struct {
	srcLine
	v float64
}

func (sh *share) UnmarshalYAML(n *yaml.Node) error {
	sh.line = n.Line
	s, err := scalarNode(n)
	if err != nil {
		return err
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || x < 0 || x > 1 {
		return errAt(n, "want a share from 0 to 1 like 0.2, got %q", s)
	}
	sh.v = x
	return nil
}

// oneOf maps w onto one of names (its index), or says what it wants.
func oneOf(w *word, field string, names ...string) (int, error) {
	for i, n := range names {
		if w.v == n {
			return i, nil
		}
	}
	return 0, lineErr(w.line, field, "want %s, got %q", orList(names), w.v)
}

func orList(names []string) string {
	if len(names) == 1 {
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

func andList(names []string) string {
	if len(names) == 1 {
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

func lineErr(line int, field, format string, args ...any) error {
	return fmt.Errorf("line %d: %s: %s", line, field, fmt.Sprintf(format, args...))
}

// decodeFile decodes b strictly into a fileDoc. Errors name the line and the
// field path (rules[2].dwell); root is the parsed node tree of b.
func decodeFile(b []byte, root *yaml.Node) (*fileDoc, error) {
	var f fileDoc
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	err := dec.Decode(&f)
	if err == nil {
		return &f, nil
	}
	var pe *posErr
	if errors.As(err, &pe) {
		return nil, fmt.Errorf("line %d: %s: %s", pe.line, pathOf(root, func(n *yaml.Node, key bool) bool {
			return !key && n.Line == pe.line && n.Column == pe.col
		}), pe.msg)
	}
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		return nil, typeError(te.Errors[0], root)
	}
	return nil, errors.New(oneLine(err.Error()))
}

var (
	reUnknown = regexp.MustCompile(`^line (\d+): field (\S+) not found in type`)
	reDup     = regexp.MustCompile(`^line (\d+): mapping key "([^"]*)" already defined at line (\d+)`)
	reType    = regexp.MustCompile("^line (\\d+): cannot unmarshal !!(\\w+) (?:`([^`]*)` )?into (\\S+)")
)

// typeError rewrites one of the decoder's messages with the field's path.
func typeError(msg string, root *yaml.Node) error {
	if m := reUnknown.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		p := pathOf(root, func(n *yaml.Node, key bool) bool { return key && n.Line == line && n.Value == m[2] })
		want := ""
		if !strings.Contains(p, ".") {
			want = " (want " + topKeys + ")"
		}
		return fmt.Errorf("line %d: %s: unknown key%s", line, p, want)
	}
	if m := reDup.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		p := pathOf(root, func(n *yaml.Node, key bool) bool { return key && n.Line == line && n.Value == m[2] })
		return fmt.Errorf("line %d: %s: duplicate key (first at line %s)", line, p, m[3])
	}
	if m := reType.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		p := pathOf(root, func(n *yaml.Node, key bool) bool { return !key && n.Line == line && (m[3] == "" || n.Value == m[3]) })
		want := "a different value"
		switch {
		case strings.HasSuffix(m[4], "ruleDoc"):
			want = "a mapping with name, kind and filters"
		case strings.HasSuffix(m[4], "Doc") && strings.HasPrefix(m[4], "rules."):
			want = "a mapping"
		case strings.HasPrefix(m[4], "[]"):
			want = "a non-empty list of rules"
		}
		return fmt.Errorf("line %d: %s: want %s", line, p, want)
	}
	return errors.New(oneLine(msg))
}

// pathOf finds the first node (in document order) that match accepts and
// returns its path: top-level keys by name, list items [i], nested keys
// joined by dots. key says whether a node is a mapping key.
func pathOf(root *yaml.Node, match func(n *yaml.Node, key bool) bool) string {
	var walk func(n *yaml.Node, path string) (string, bool)
	walk = func(n *yaml.Node, path string) (string, bool) {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				if p, ok := walk(c, path); ok {
					return p, true
				}
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				p := k.Value
				if path != "" {
					p = path + "." + k.Value
				}
				if match(k, true) {
					return p, true
				}
				if match(v, false) {
					return p, true
				}
				if r, ok := walk(v, p); ok {
					return r, true
				}
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				p := fmt.Sprintf("%s[%d]", path, i)
				if match(c, false) {
					return p, true
				}
				if r, ok := walk(c, p); ok {
					return r, true
				}
			}
		}
		return "", false
	}
	if p, ok := walk(root, ""); ok {
		return p
	}
	return "(top)"
}

func oneLine(s string) string {
	s = strings.TrimPrefix(s, "yaml: ")
	s = strings.TrimPrefix(s, "unmarshal errors:")
	return strings.Join(strings.Fields(s), " ")
}

// kindKeys checks the fields valid only for some kinds (tag kinds:"...").
func (d *ruleDoc) kindKeys(kind, path string) error {
	v := reflect.ValueOf(d).Elem()
	t := v.Type()
	for i := range t.NumField() {
		kinds, ok := t.Field(i).Tag.Lookup("kinds")
		if !ok || v.Field(i).IsNil() {
			continue
		}
		list := strings.Fields(kinds)
		allowed := false
		for _, k := range list {
			allowed = allowed || k == kind
		}
		if !allowed {
			key, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
			return lineErr(fieldLine(v.Field(i).Interface()), path+"."+key, "only for %s rules, not %s", andList(list), kind)
		}
	}
	return nil
}

// fieldLine is the line of a leaf or of the first leaf of a nested mapping.
func fieldLine(x any) int {
	switch f := x.(type) {
	case interface{ pos() int }:
		return f.pos()
	case *countDoc:
		return firstLine(f.N, f.Within)
	case *afterDoc:
		return firstLine(f.Rule, f.Within)
	}
	return 0
}

func firstLine(xs ...interface{ pos() int }) int {
	for _, x := range xs {
		if x != nil && !reflect.ValueOf(x).IsNil() {
			return x.pos()
		}
	}
	return 0
}

const day = 24 * time.Hour

// parseDuration accepts Go durations (90s, 10m, 1h30m) and whole days (3d).
func parseDuration(s string) (time.Duration, bool) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n <= 0 || n > 36500 {
			return 0, false
		}
		return time.Duration(n) * day, true
	}
	d, err := time.ParseDuration(s)
	return d, err == nil && d > 0
}
