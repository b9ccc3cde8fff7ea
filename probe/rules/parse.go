package rules

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	regionfile "github.com/sigprobe/sigprobe/format/regions"
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
	kRoamOut
	kRoamReturn
	numRuleKinds
)

var ruleKindNames = [numRuleKinds]string{"region_enter", "region_exit", "dwell", "power_on", "power_off", "roam_in", "call", "sms", "location_update", "silent", "roam_out", "roam_return"}

// Three-way filters: anyone, only those, or all but those.
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

// maxCount bounds count.n: the engine keeps that many timestamps per
// subscriber and rule.
const maxCount = 16

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
	minDur    int64    // call
	maxDur    int64    // call; 0: no maximum
	answered  int8     // call: anyone, answered (only) or not answered (exclude)
	causes    []uint8  // call: CC causes accepted; nil: any
	countries []prefix // roam_out, roam_return: E.164 country codes of the foreign VLR

	count        int   // fire when this many matching facts fell within countWithin; 0: no count
	countWithin  int64 //
	after        int32 // fire only if rule after matched the subscriber within afterWithin before; -1 none
	afterWithin  int64 //
	followed     bool  // another rule's after names this one: its matches are remembered
	followWithin int64 // the longest after.within of the rules that follow this one

	campaign string
	control  uint64 // control_share in units of 1/10000
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

	byFact   [numKinds][]uint16 // rules evaluated directly on a fact of that kind
	dwell    []uint16
	silent   []uint16
	roamIn   []uint16
	counted  bool // some rule has count
	followed bool // some rule has after
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
	s, err := parse(b, name, regionNames)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return s, nil
}

func parse(b []byte, name string, regionNames []string) (*Set, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return nil, errors.New(oneLine(err.Error()))
	}
	var top *yaml.Node
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		top = root.Content[0]
		for top.Kind == yaml.AliasNode && top.Alias != nil {
			top = top.Alias
		}
	}
	if top == nil || top.Kind == yaml.ScalarNode && top.Tag == "!!null" {
		return nil, errors.New("line 1: rules: no rules defined")
	}
	if top.Kind != yaml.MappingNode {
		return nil, lineErr(top.Line, "(top)", "want a mapping with %s", strings.ReplaceAll(topKeys, " or ", " and "))
	}
	doc, err := decodeFile(b, &root)
	if err != nil {
		return nil, err
	}
	c := compiler{dir: filepath.Dir(name), regions: make(map[string]int, len(regionNames))}
	for i, r := range regionNames {
		c.regions[r] = i
	}
	// Lines of the rules list and of each rule, for errors about them.
	rulesLine, ruleLines := top.Line, []int(nil)
	for i := 0; i+1 < len(top.Content); i += 2 {
		if top.Content[i].Value == "rules" {
			v := top.Content[i+1]
			rulesLine = v.Line
			for _, item := range v.Content {
				ruleLines = append(ruleLines, item.Line)
			}
		}
	}
	return c.set(doc, regionNames, rulesLine, ruleLines)
}

type compiler struct {
	dir     string
	regions map[string]int
}

func (c *compiler) set(doc *fileDoc, regionNames []string, rulesLine int, ruleLines []int) (*Set, error) {
	s := &Set{regionNames: regionNames, loc: time.UTC}
	if tz := doc.Timezone; tz != nil {
		var err error
		switch {
		case tz.v == "" || tz.v == "Local":
			return nil, lineErr(tz.line, "timezone", "want an IANA zone name like Europe/Berlin or UTC, got %q", tz.v)
		default:
			if s.loc, err = time.LoadLocation(tz.v); err != nil {
				return nil, lineErr(tz.line, "timezone", "unknown time zone %q", tz.v)
			}
		}
	}
	if doc.MaxPerDay != nil {
		s.maxPerDay = doc.MaxPerDay.v
	}
	for _, l := range []struct {
		key string
		w   *word
		dst *string
	}{{"opt_in", doc.OptIn, &s.optIn}, {"opt_out", doc.OptOut, &s.optOut}} {
		if l.w == nil {
			continue
		}
		if l.w.v == "" {
			return nil, lineErr(l.w.line, l.key, "want a file name")
		}
		*l.dst = l.w.v
		if !filepath.IsAbs(l.w.v) {
			*l.dst = filepath.Join(c.dir, l.w.v)
		}
	}
	if len(doc.Rules) == 0 {
		return nil, lineErr(rulesLine, "rules", "want a non-empty list of rules")
	}
	if len(doc.Rules) > math.MaxUint16 {
		return nil, lineErr(rulesLine, "rules", "too many rules (%d)", len(doc.Rules))
	}
	byName := make(map[string]int, len(doc.Rules))
	for i, rd := range doc.Rules {
		path, line := fmt.Sprintf("rules[%d]", i), rulesLine
		if i < len(ruleLines) {
			line = ruleLines[i]
		}
		if rd == nil {
			return nil, lineErr(line, path, "want a mapping with name, kind and filters")
		}
		r, err := c.rule(rd, path, line, s)
		if err != nil {
			return nil, err
		}
		if _, dup := byName[r.name]; dup {
			return nil, lineErr(rd.Name.line, path+".name", "duplicate rule %q", r.name)
		}
		byName[r.name] = i
		s.rules = append(s.rules, r)
	}
	// after: names a rule of the file; chains are fine, cycles never fire.
	for i, rd := range doc.Rules {
		a := rd.After
		if a == nil {
			continue
		}
		path := fmt.Sprintf("rules[%d].after", i)
		j, ok := byName[a.Rule.v]
		switch {
		case !ok:
			return nil, lineErr(a.Rule.line, path+".rule", "no rule named %q in this file", a.Rule.v)
		case j == i:
			return nil, lineErr(a.Rule.line, path+".rule", "a rule cannot follow itself")
		}
		s.rules[i].after, s.rules[i].afterWithin = int32(j), a.Within.ns
		s.rules[j].followed, s.followed = true, true
		s.rules[j].followWithin = max(s.rules[j].followWithin, a.Within.ns)
	}
	for i := range s.rules {
		seen := map[int32]bool{int32(i): true}
		for j := s.rules[i].after; j >= 0; j = s.rules[j].after {
			if seen[j] {
				return nil, lineErr(doc.Rules[i].After.Rule.line, fmt.Sprintf("rules[%d].after.rule", i), "rules that follow each other in a circle never fire")
			}
			seen[j] = true
		}
	}
	s.limits = make([]limiter, len(s.rules))
	for i := range s.rules {
		r := &s.rules[i]
		s.counted = s.counted || r.count > 0
		switch r.kind {
		case kDwell:
			s.dwell = append(s.dwell, uint16(i))
		case kSilent:
			s.silent = append(s.silent, uint16(i))
		default:
			if r.kind == kRoamIn {
				s.roamIn = append(s.roamIn, uint16(i))
			}
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
	case kRoamOut:
		return RoamOut
	case kRoamReturn:
		return RoamReturn
	default:
		return LocationUpdate
	}
}

func (c *compiler) rule(d *ruleDoc, path string, line int, s *Set) (rule, error) {
	r := rule{after: -1}
	if d.Name == nil {
		return r, lineErr(line, path+".name", "missing")
	}
	if n := d.Name.v; n == "" || strings.ContainsAny(n, " .*>\t\n\r") {
		return r, lineErr(d.Name.line, path+".name", "want a non-empty name without spaces, dots, '*' or '>', got %q", n)
	}
	r.name = d.Name.v
	r.hashA, r.hashB = fnv64(0xcbf29ce484222325, r.name), fnv64(0x84222325cbf29ce4, r.name)
	if d.Kind == nil {
		return r, lineErr(line, path+".kind", "missing (want one of %s)", strings.Join(ruleKindNames[:], ", "))
	}
	k, err := oneOf(d.Kind, path+".kind", ruleKindNames[:]...)
	if err != nil {
		return r, lineErr(d.Kind.line, path+".kind", "want one of %s, got %q", strings.Join(ruleKindNames[:], ", "), d.Kind.v)
	}
	r.kind = ruleKind(k)
	kind := ruleKindNames[k]
	if err := d.kindKeys(kind, path); err != nil {
		return r, err
	}
	if d.Regions != nil {
		r.regions = make([]bool, len(s.regionNames))
		for _, name := range d.Regions.v {
			idx, ok := c.regions[name]
			if !ok {
				return r, lineErr(d.Regions.line, path+".regions", "unknown region %q", name)
			}
			r.regions[idx] = true
		}
	}
	if d.Roamers != nil {
		x, err := oneOf(d.Roamers, path+".roamers", "any", "only", "exclude")
		if err != nil {
			return r, lineErr(d.Roamers.line, path+".roamers", "want only, exclude or any, got %q", d.Roamers.v)
		}
		if r.kind == kRoamIn {
			return r, lineErr(d.Roamers.line, path+".roamers", "roam_in rules are for roamers already")
		}
		r.roamers = int8(x)
	}
	for _, p := range []struct {
		key      string
		l        *digitsList
		min, max int
		dst      *[]prefix
	}{
		{"home_plmns", d.HomePLMNs, 5, 6, &r.plmns},
		{"imsi_prefix", d.IMSIPrefix, 1, 15, &r.imsiPfx},
		{"msisdn_prefix", d.MSISDNPrefix, 1, 15, &r.msisdnPfx},
		{"peer_prefix", d.PeerPrefix, 1, 15, &r.peerPfx},
		{"country_codes", d.CountryCodes, 1, 3, &r.countries},
	} {
		if p.l != nil {
			if *p.dst, err = p.l.prefixes(path+"."+p.key, p.min, p.max); err != nil {
				return r, err
			}
		}
	}
	if d.Hours != nil {
		if r.hours, err = windows(d.Hours, path+".hours"); err != nil {
			return r, err
		}
	}
	if d.Weekdays != nil {
		if r.days, err = weekdays(d.Weekdays, path+".weekdays"); err != nil {
			return r, err
		}
	}
	for _, l := range []struct {
		w   *words
		dst *[]string
	}{{d.Segment, &r.segments}, {d.TagsAny, &r.tagsAny}, {d.TagsAll, &r.tagsAll}} {
		if l.w != nil {
			*l.dst = l.w.v
		}
	}
	if d.RequireConsent != nil && d.RequireConsent.v {
		if s.optIn == "" {
			return r, lineErr(d.RequireConsent.line, path+".require_consent", "needs an opt_in list at the top of the file")
		}
		r.consent = true
	}
	if d.Direction != nil {
		x, err := oneOf(d.Direction, path+".direction", "any", "mo", "mt")
		if err != nil {
			return r, lineErr(d.Direction.line, path+".direction", "want mo, mt or any, got %q", d.Direction.v)
		}
		r.direction = int8(x)
	}
	if d.Answered != nil {
		r.answered = exclude
		if d.Answered.v {
			r.answered = only
		}
	}
	if d.Causes != nil {
		r.causes = d.Causes.v
	}
	for _, f := range []struct {
		d   *duration
		dst *int64
	}{{d.MinInterval, &r.minInterval}, {d.Dwell, &r.dwell}, {d.For, &r.silentFor}, {d.OffFor, &r.offFor},
		{d.MinStay, &r.minStay}, {d.MinDuration, &r.minDur}, {d.MaxDuration, &r.maxDur}} {
		if f.d != nil {
			*f.dst = f.d.ns
		}
	}
	if d.MaxPerMinute != nil {
		r.maxPerMinute = d.MaxPerMinute.v
	}
	if r.maxDur > 0 && r.maxDur < r.minDur {
		return r, lineErr(d.MaxDuration.line, path+".max_duration", "shorter than min_duration")
	}
	if r.maxDur > 0 && r.answered == exclude {
		return r, lineErr(d.MaxDuration.line, path+".max_duration", "unanswered calls have no duration (answered: false)")
	}
	if cd := d.Count; cd != nil {
		l := fieldLine(cd)
		switch {
		case cd.N == nil:
			return r, lineErr(max(l, line), path+".count.n", "missing (how many facts, like 3)")
		case cd.N.v < 2 || cd.N.v > maxCount:
			return r, lineErr(cd.N.line, path+".count.n", "want 2 to %d, got %d", maxCount, cd.N.v)
		case cd.Within == nil:
			return r, lineErr(l, path+".count.within", "missing (a window like 7d)")
		}
		r.count, r.countWithin = int(cd.N.v), cd.Within.ns
	}
	if a := d.After; a != nil {
		l := fieldLine(a)
		switch {
		case a.Rule == nil:
			return r, lineErr(max(l, line), path+".after.rule", "missing (the name of the rule that must match first)")
		case a.Within == nil:
			return r, lineErr(l, path+".after.within", "missing (a window like 2h)")
		}
	}
	if d.Campaign != nil {
		if r.campaign = d.Campaign.v; r.campaign == "" || strings.ContainsAny(r.campaign, " \t\n\r") {
			return r, lineErr(d.Campaign.line, path+".campaign", "want a name without spaces, got %q", r.campaign)
		}
	}
	if d.ControlShare != nil {
		if d.Campaign == nil {
			return r, lineErr(d.ControlShare.line, path+".control_share", "needs campaign: (the control group is per campaign)")
		}
		r.control = uint64(d.ControlShare.v*10000 + 0.5)
	}
	switch {
	case r.kind == kDwell && r.dwell == 0:
		return r, lineErr(line, path+".dwell", "dwell rules need dwell: (time in the region, like 10m)")
	case r.kind == kSilent && r.silentFor == 0:
		return r, lineErr(line, path+".for", "silent rules need for: (time without calls or SMS, like 72h)")
	}
	return r, nil
}

// clock parses "HH:MM" into minutes since midnight; "24:00" only as an end.
func clock(s string, end bool) (int32, bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	h, m := int(s[0]-'0')*10+int(s[1]-'0'), int(s[3]-'0')*10+int(s[4]-'0')
	for _, c := range []byte{s[0], s[1], s[3], s[4]} {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	if m > 59 || h > 24 || (h == 24 && (m != 0 || !end)) {
		return 0, false
	}
	return int32(h*60 + m), true
}

func windows(w *words, field string) ([]window, error) {
	out := make([]window, len(w.v))
	for i, v := range w.v {
		a, b, ok := strings.Cut(v, "-")
		var win window
		if ok {
			var ok1, ok2 bool
			win.from, ok1 = clock(strings.TrimSpace(a), false)
			win.to, ok2 = clock(strings.TrimSpace(b), true)
			ok = ok1 && ok2 && win.from != win.to
		}
		if !ok {
			return nil, lineErr(w.line, field, "want a window like \"08:00-20:00\" (may wrap midnight, not empty), got %q", v)
		}
		out[i] = win
	}
	return out, nil
}

// weekdays parses "mon-fri", "sat,sun" or a list of those; ranges may wrap
// (fri-mon).
func weekdays(w *words, field string) (uint8, error) {
	var mask uint8
	for _, v := range w.v {
		m, err := regionfile.ParseWeekdays(v)
		if err != nil {
			return 0, lineErr(w.line, field, "want days like mon-fri or sat,sun, got %q", v)
		}
		mask |= m
	}
	return mask, nil
}
