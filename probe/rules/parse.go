package rules

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

type ruleKind uint8

const (
	kRegionEnter ruleKind = iota
	kRegionExit
	kDwell
	kPowerOn
	kPowerOff
	kRoamIn
	kCall
	kSMS
	kLocationUpdate
	kSilent
	numRuleKinds
)

var ruleKindNames = [numRuleKinds]string{"region_enter", "region_exit", "dwell", "power_on", "power_off", "roam_in", "call", "sms", "location_update", "silent"}

const (
	anyone = iota
	only
	exclude
)

// window is a time-of-day interval in minutes since local midnight; it wraps
// midnight when from > to.
type window struct{ from, to int32 }

func (w window) has(m int32) bool {
	if w.from < w.to {
		return m >= w.from && m < w.to
	}
	return m >= w.from || m < w.to
}

// rule is one compiled rule. Durations are nanoseconds.
type rule struct {
	name         string
	kind         ruleKind
	hashA, hashB uint64

	regions   []bool // by region index; nil: any region (or none)
	roamers   int8
	plmns     []prefix
	imsiPfx   []prefix
	msisdnPfx []prefix
	hours     []window
	days      uint8 // bit per time.Weekday; 0: every day
	segments  []string
	tagsAny   []string
	tagsAll   []string
	consent   bool

	minInterval  int64
	maxPerMinute int64

	dwell     int64 // dwell
	offFor    int64 // power_on
	minStay   int64 // region_exit
	silentFor int64 // silent
	direction int8  // call, sms: anyone, mo (only) or mt (exclude)
	peerPfx   []prefix
	minDur    int64 // call
}

func (r *rule) hasAttrs() bool { return len(r.segments)+len(r.tagsAny)+len(r.tagsAll) > 0 }

// Set is a validated, compiled rule set. It is immutable except for the
// per-rule rate limiters (max_per_minute), which every Engine built from the
// Set shares, so the rate holds across shards.
type Set struct {
	regionNames []string
	loc         *time.Location
	maxPerDay   int64
	optIn       string
	optOut      string
	rules       []rule
	limits      []limiter

	byFact [numKinds][]uint16 // rules evaluated directly on a fact of that kind
	dwell  []uint16
	silent []uint16
}

// RuleNames lists the rules in file order (the order of Stats.Rules).
func (s *Set) RuleNames() []string {
	n := make([]string, len(s.rules))
	for i := range s.rules {
		n[i] = s.rules[i].name
	}
	return n
}

// ConsentFiles returns the opt-in and opt-out list paths named in the file
// (resolved against the rules file's directory; "" when not given), ready for
// LoadConsent.
func (s *Set) ConsentFiles() (optIn, optOut string) { return s.optIn, s.optOut }

// Load reads and validates a rules file. Errors name the file, line and field.
func Load(path string, regionNames []string) (*Set, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(b, path, regionNames)
}

// Parse decodes and validates a rules file. name is used in errors and to
// resolve the consent list paths; regionNames are the micro-regions in index
// order (Fact.Region indexes them).
func Parse(b []byte, name string, regionNames []string) (*Set, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		return nil, fmt.Errorf("%s: %s", name, strings.Join(strings.Fields(msg), " "))
	}
	p := parser{regions: make(map[string]int, len(regionNames)), dir: filepath.Dir(name)}
	for i, r := range regionNames {
		p.regions[r] = i
	}
	s, err := p.file(&doc, regionNames)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return s, nil
}

type parser struct {
	regions map[string]int
	dir     string
}

// fieldErr is a validation error at a line of the file.
func fieldErr(n *yaml.Node, field, format string, args ...any) error {
	return fmt.Errorf("line %d: %s: %s", n.Line, field, fmt.Sprintf(format, args...))
}

func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 8; i++ {
		n = n.Alias
	}
	if n == nil || n.Kind == yaml.AliasNode {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}
	}
	return n
}

func (p *parser) file(doc *yaml.Node, regionNames []string) (*Set, error) {
	s := &Set{regionNames: regionNames, loc: time.UTC}
	var top *yaml.Node
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		top = deref(doc.Content[0])
	}
	if top == nil || (top.Kind == yaml.ScalarNode && top.Tag == "!!null") {
		return nil, errors.New("line 1: rules: no rules defined")
	}
	if top.Kind != yaml.MappingNode {
		return nil, fieldErr(top, "(top)", "want a mapping with timezone, max_per_subscriber_per_day, opt_in, opt_out and rules")
	}
	if err := noDuplicates(top, ""); err != nil {
		return nil, err
	}
	var rulesNode *yaml.Node
	for i := 0; i+1 < len(top.Content); i += 2 {
		k, v := top.Content[i], deref(top.Content[i+1])
		var err error
		switch k.Value {
		case "timezone":
			var tz string
			if tz, err = scalar(v, k.Value); err == nil {
				if tz == "" || tz == "Local" {
					err = fieldErr(v, k.Value, "want an IANA zone name like Europe/Berlin or UTC, got %q", tz)
				} else if s.loc, err = time.LoadLocation(tz); err != nil {
					err = fieldErr(v, k.Value, "unknown time zone %q", tz)
				}
			}
		case "max_per_subscriber_per_day":
			s.maxPerDay, err = positive(v, k.Value)
		case "opt_in", "opt_out":
			var f string
			if f, err = scalar(v, k.Value); err == nil {
				if f == "" {
					err = fieldErr(v, k.Value, "want a file name")
				} else if !filepath.IsAbs(f) {
					f = filepath.Join(p.dir, f)
				}
			}
			if k.Value == "opt_in" {
				s.optIn = f
			} else {
				s.optOut = f
			}
		case "rules":
			rulesNode = v
		default:
			err = fieldErr(k, k.Value, "unknown key (want timezone, max_per_subscriber_per_day, opt_in, opt_out or rules)")
		}
		if err != nil {
			return nil, err
		}
	}
	if rulesNode == nil || rulesNode.Kind != yaml.SequenceNode || len(rulesNode.Content) == 0 {
		n := top
		if rulesNode != nil {
			n = rulesNode
		}
		return nil, fieldErr(n, "rules", "want a non-empty list of rules")
	}
	if len(rulesNode.Content) > math.MaxUint16 {
		return nil, fieldErr(rulesNode, "rules", "too many rules (%d)", len(rulesNode.Content))
	}
	seen := make(map[string]bool, len(rulesNode.Content))
	for i, rn := range rulesNode.Content {
		r, err := p.rule(deref(rn), fmt.Sprintf("rules[%d]", i), s)
		if err != nil {
			return nil, err
		}
		if seen[r.name] {
			return nil, fieldErr(rn, fmt.Sprintf("rules[%d].name", i), "duplicate rule %q", r.name)
		}
		seen[r.name] = true
		s.rules = append(s.rules, r)
	}
	s.limits = make([]limiter, len(s.rules))
	for i := range s.rules {
		r := &s.rules[i]
		switch r.kind {
		case kDwell:
			s.dwell = append(s.dwell, uint16(i))
		case kSilent:
			s.silent = append(s.silent, uint16(i))
		default:
			s.byFact[factOf(r)] = append(s.byFact[factOf(r)], uint16(i))
		}
	}
	return s, nil
}

// factOf is the fact kind a directly evaluated rule looks at.
func factOf(r *rule) Kind {
	switch r.kind {
	case kRegionEnter:
		return RegionEnter
	case kRegionExit:
		return RegionExit
	case kPowerOn:
		return PowerOn
	case kPowerOff:
		return PowerOff
	case kRoamIn:
		if r.regions != nil {
			return RegionEnter
		}
		return Seen
	case kCall:
		return Call
	case kSMS:
		return SMS
	default:
		return LocationUpdate
	}
}

// Keys valid only for some kinds.
var kindKeys = map[string][]ruleKind{
	"dwell":        {kDwell},
	"for":          {kSilent},
	"off_for":      {kPowerOn},
	"min_stay":     {kRegionExit},
	"direction":    {kCall, kSMS},
	"peer_prefix":  {kCall, kSMS},
	"min_duration": {kCall},
}

func (p *parser) rule(n *yaml.Node, path string, s *Set) (rule, error) {
	var r rule
	if n.Kind != yaml.MappingNode {
		return r, fieldErr(n, path, "want a mapping with name, kind and filters")
	}
	if err := noDuplicates(n, path+"."); err != nil {
		return r, err
	}
	// name and kind first: other keys are checked against the kind.
	var nameNode, kindNode *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		switch n.Content[i].Value {
		case "name":
			nameNode = deref(n.Content[i+1])
		case "kind":
			kindNode = deref(n.Content[i+1])
		}
	}
	if nameNode == nil {
		return r, fieldErr(n, path+".name", "missing")
	}
	name, err := scalar(nameNode, path+".name")
	if err != nil {
		return r, err
	}
	if name == "" || strings.ContainsAny(name, " .*>\t\n\r") {
		return r, fieldErr(nameNode, path+".name", "want a non-empty name without spaces, dots, '*' or '>', got %q", name)
	}
	r.name = name
	r.hashA, r.hashB = fnv64(0xcbf29ce484222325, name), fnv64(0x84222325cbf29ce4, name)
	if kindNode == nil {
		return r, fieldErr(n, path+".kind", "missing (want one of %s)", strings.Join(ruleKindNames[:], ", "))
	}
	kind, err := scalar(kindNode, path+".kind")
	if err != nil {
		return r, err
	}
	found := false
	for k, kn := range ruleKindNames {
		if kn == kind {
			r.kind, found = ruleKind(k), true
		}
	}
	if !found {
		return r, fieldErr(kindNode, path+".kind", "want one of %s, got %q", strings.Join(ruleKindNames[:], ", "), kind)
	}

	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], deref(n.Content[i+1])
		field := path + "." + k.Value
		if kinds, ok := kindKeys[k.Value]; ok {
			allowed := false
			for _, kk := range kinds {
				allowed = allowed || kk == r.kind
			}
			if !allowed {
				names := make([]string, len(kinds))
				for j, kk := range kinds {
					names[j] = ruleKindNames[kk]
				}
				return r, fieldErr(k, field, "only for %s rules, not %s", strings.Join(names, " and "), kind)
			}
		}
		var err error
		switch k.Value {
		case "name", "kind":
		case "regions":
			var names []string
			if names, err = list(v, field); err != nil {
				break
			}
			r.regions = make([]bool, len(s.regionNames))
			for _, rn := range names {
				idx, ok := p.regions[rn]
				if !ok {
					return r, fieldErr(v, field, "unknown region %q", rn)
				}
				r.regions[idx] = true
			}
		case "roamers":
			var x string
			if x, err = scalar(v, field); err == nil {
				switch x {
				case "any":
					r.roamers = anyone
				case "only":
					r.roamers = only
				case "exclude":
					r.roamers = exclude
				default:
					err = fieldErr(v, field, "want only, exclude or any, got %q", x)
				}
				if err == nil && r.kind == kRoamIn {
					err = fieldErr(k, field, "roam_in rules are for roamers already")
				}
			}
		case "home_plmns":
			r.plmns, err = prefixes(v, field, 5, 6)
		case "imsi_prefix":
			r.imsiPfx, err = prefixes(v, field, 1, 15)
		case "msisdn_prefix":
			r.msisdnPfx, err = prefixes(v, field, 1, 15)
		case "peer_prefix":
			r.peerPfx, err = prefixes(v, field, 1, 15)
		case "hours":
			r.hours, err = windows(v, field)
		case "weekdays":
			r.days, err = weekdays(v, field)
		case "segment":
			r.segments, err = list(v, field)
		case "tags_any":
			r.tagsAny, err = list(v, field)
		case "tags_all":
			r.tagsAll, err = list(v, field)
		case "require_consent":
			var x string
			if x, err = scalar(v, field); err == nil {
				switch strings.ToLower(x) {
				case "true":
					r.consent = true
				case "false":
				default:
					err = fieldErr(v, field, "want true or false, got %q", x)
				}
				if r.consent && s.optIn == "" {
					err = fieldErr(v, field, "needs an opt_in list at the top of the file")
				}
			}
		case "min_interval":
			r.minInterval, err = duration(v, field)
		case "max_per_minute":
			r.maxPerMinute, err = positive(v, field)
		case "dwell":
			r.dwell, err = duration(v, field)
		case "for":
			r.silentFor, err = duration(v, field)
		case "off_for":
			r.offFor, err = duration(v, field)
		case "min_stay":
			r.minStay, err = duration(v, field)
		case "min_duration":
			r.minDur, err = duration(v, field)
		case "direction":
			var x string
			if x, err = scalar(v, field); err == nil {
				switch x {
				case "any":
					r.direction = anyone
				case "mo":
					r.direction = only
				case "mt":
					r.direction = exclude
				default:
					err = fieldErr(v, field, "want mo, mt or any, got %q", x)
				}
			}
		default:
			err = fieldErr(k, field, "unknown key")
		}
		if err != nil {
			return r, err
		}
	}
	switch {
	case r.kind == kDwell && r.dwell == 0:
		return r, fieldErr(n, path+".dwell", "dwell rules need dwell: (time in the region, like 10m)")
	case r.kind == kSilent && r.silentFor == 0:
		return r, fieldErr(n, path+".for", "silent rules need for: (time without calls or SMS, like 72h)")
	}
	return r, nil
}

// noDuplicates rejects a mapping that repeats a key (the node tree keeps both).
func noDuplicates(m *yaml.Node, path string) error {
	first := make(map[string]int, len(m.Content)/2)
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i]
		if l, dup := first[k.Value]; dup {
			return fieldErr(k, path+k.Value, "duplicate key (first at line %d)", l)
		}
		first[k.Value] = k.Line
	}
	return nil
}

func scalar(n *yaml.Node, field string) (string, error) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return "", fieldErr(n, field, "want a single value")
	}
	return n.Value, nil
}

// list accepts a sequence of scalars or a single scalar.
func list(n *yaml.Node, field string) ([]string, error) {
	if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		return []string{n.Value}, nil
	}
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		return nil, fieldErr(n, field, "want a non-empty list")
	}
	out := make([]string, len(n.Content))
	for i, c := range n.Content {
		v, err := scalar(deref(c), fmt.Sprintf("%s[%d]", field, i))
		if err != nil {
			return nil, err
		}
		if v == "" {
			return nil, fieldErr(c, fmt.Sprintf("%s[%d]", field, i), "empty value")
		}
		out[i] = v
	}
	return out, nil
}

func prefixes(n *yaml.Node, field string, minLen, maxLen int) ([]prefix, error) {
	vs, err := list(n, field)
	if err != nil {
		return nil, err
	}
	out := make([]prefix, len(vs))
	for i, v := range vs {
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
			return nil, fieldErr(n, field, "want %s, got %q", want, v)
		}
		out[i] = prefix{v: x, n: len(v)}
	}
	return out, nil
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

func duration(n *yaml.Node, field string) (int64, error) {
	s, err := scalar(n, field)
	if err != nil {
		return 0, err
	}
	d, ok := parseDuration(s)
	if !ok {
		return 0, fieldErr(n, field, "want a duration like 10m, got %q", s)
	}
	return int64(d), nil
}

func positive(n *yaml.Node, field string) (int64, error) {
	s, err := scalar(n, field)
	if err != nil {
		return 0, err
	}
	x, err := strconv.ParseInt(s, 10, 64)
	if err != nil || x <= 0 {
		return 0, fieldErr(n, field, "want a positive integer, got %q", s)
	}
	return x, nil
}

// clock parses "HH:MM" into minutes since midnight; "24:00" only as an end.
func clock(s string, end bool) (int32, bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	h, err1 := strconv.Atoi(s[:2])
	m, err2 := strconv.Atoi(s[3:])
	if err1 != nil || err2 != nil || h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && (m != 0 || !end)) {
		return 0, false
	}
	return int32(h*60 + m), true
}

func windows(n *yaml.Node, field string) ([]window, error) {
	vs, err := list(n, field)
	if err != nil {
		return nil, err
	}
	out := make([]window, len(vs))
	for i, v := range vs {
		a, b, ok := strings.Cut(v, "-")
		var w window
		if ok {
			var ok1, ok2 bool
			w.from, ok1 = clock(strings.TrimSpace(a), false)
			w.to, ok2 = clock(strings.TrimSpace(b), true)
			ok = ok1 && ok2 && w.from != w.to
		}
		if !ok {
			return nil, fieldErr(n, field, "want a window like \"08:00-20:00\" (may wrap midnight, not empty), got %q", v)
		}
		out[i] = w
	}
	return out, nil
}

var dayNames = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

func weekday(s string) (int, bool) {
	for i, d := range dayNames {
		if strings.EqualFold(strings.TrimSpace(s), d) {
			return i, true
		}
	}
	return 0, false
}

// weekdays parses "mon-fri", "sat,sun" or a list of those; ranges may wrap (fri-mon).
func weekdays(n *yaml.Node, field string) (uint8, error) {
	vs, err := list(n, field)
	if err != nil {
		return 0, err
	}
	var mask uint8
	for _, v := range vs {
		for part := range strings.SplitSeq(v, ",") {
			a, b, isRange := strings.Cut(part, "-")
			from, ok := weekday(a)
			to := from
			if ok && isRange {
				to, ok = weekday(b)
			}
			if !ok {
				return 0, fieldErr(n, field, "want days like mon-fri or sat,sun, got %q", v)
			}
			for d := from; ; d = (d + 1) % 7 {
				mask |= 1 << d
				if d == to {
					break
				}
			}
		}
	}
	return mask, nil
}
