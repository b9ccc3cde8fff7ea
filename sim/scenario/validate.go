package scenario

import (
	"fmt"
	"strings"
	"time"

	regionfile "github.com/sigprobe/sigprobe/format/regions"
)

// Validate checks every value that would make the simulation impossible or
// meaningless, naming the offending key.
func (s *Scenario) Validate() error {
	var errs []string
	bad := func(key, format string, a ...any) {
		errs = append(errs, key+": "+fmt.Sprintf(format, a...))
	}
	checkPLMN := func(key string, p PLMN) {
		if !digits(p.MCC, 3, 3) {
			bad(key+".mcc", "want 3 digits, got %q", p.MCC)
		}
		if !digits(p.MNC, 2, 3) {
			bad(key+".mnc", "want 2 or 3 digits, got %q", p.MNC)
		}
	}
	share := func(key string, v float64) {
		if v < 0 || v > 1 {
			bad(key, "want a share between 0 and 1, got %v", v)
		}
	}
	if s.Timezone == "" {
		bad("timezone", "missing (an IANA zone name such as UTC or Asia/Shanghai)")
	} else if _, err := time.LoadLocation(s.Timezone); err != nil {
		bad("timezone", "want an IANA zone name such as UTC or Asia/Shanghai, got %q", s.Timezone)
	}
	checkPLMN("plmn", s.PLMN)
	if !digits(s.CC, 1, 3) {
		bad("country_code", "want 1-3 digits, got %q", s.CC)
	}
	if !digits(s.NDC, 1, 4) {
		bad("ndc", "want 1-4 digits, got %q", s.NDC)
	}
	n := s.Network
	switch {
	case n.Cols < 2 || n.Rows < 2 || n.Cols*n.Rows > 60000:
		bad("network.cols/rows", "want a grid of 4 to 60000 cells, got %dx%d", n.Cols, n.Rows)
	case n.LACols < 1 || n.LARows < 1 || n.Cols%n.LACols != 0 || n.Rows%n.LARows != 0:
		bad("network.la_cols/la_rows", "must divide the grid (%dx%d) evenly, got %dx%d", n.Cols, n.Rows, n.LACols, n.LARows)
	case n.MSCs < 1 || n.MSCs > (n.Cols/n.LACols)*(n.Rows/n.LARows):
		bad("network.mscs", "want 1 to the number of location areas, got %d", n.MSCs)
	}
	if n.CellSpacingM <= 0 {
		bad("network.cell_spacing_m", "must be positive, got %d", n.CellSpacingM)
	}
	if n.T3212Minutes < 6 || n.T3212Minutes > 1530 {
		bad("network.t3212_minutes", "TS 24.008 allows 6 to 1530 minutes (1-255 deci-hours), got %d", n.T3212Minutes)
	}
	if n.AuthVectors < 1 || n.AuthVectors > 5 {
		bad("network.auth_vectors", "MAP allows 1 to 5 vectors per request, got %d", n.AuthVectors)
	}
	if n.TMSIBits != 0 && (n.TMSIBits < 16 || n.TMSIBits > 32) {
		bad("network.tmsi_bits", "want 16 to 32 (or omitted: 32), got %d", n.TMSIBits)
	}
	if n.AuthEveryN < 1 {
		bad("network.auth_every_n", "must be at least 1, got %d", n.AuthEveryN)
	}
	share("network.cgi_share", n.CGIShare)

	regions := map[string]bool{}
	for i, r := range s.Regions {
		key := fmt.Sprintf("regions[%d]", i)
		if r.Name == "" || strings.ContainsAny(r.Name, " .*>\t") {
			bad(key+".name", "want a non-empty name without spaces, dots, '*' or '>' (it becomes a NATS subject token), got %q", r.Name)
		}
		if regions[r.Name] {
			bad(key+".name", "duplicate region %q", r.Name)
		}
		regions[r.Name] = true
		if r.Kind == "" {
			bad(key+".kind", "missing")
		}
		if !inGrid(r.Center, n) {
			bad(key+".center", "%v is outside the %dx%d grid", r.Center, n.Cols, n.Rows)
		}
		if r.Radius < 0 || r.Radius > 5 {
			bad(key+".radius", "want 0 to 5 cells, got %d", r.Radius)
		}
	}
	total := 0.0
	for i, g := range s.Groups {
		key := fmt.Sprintf("groups[%d]", i)
		if g.Name == "" {
			bad(key+".name", "missing")
		}
		if !regions[g.Region] {
			bad(key+".region", "unknown region %q", g.Region)
		}
		if g.Share <= 0 || g.Share > 0.2 {
			bad(key+".share", "want more than 0 and at most 0.2 of all subscribers, got %v", g.Share)
		}
		total += g.Share * (1 + g.Neighbours + g.Visitors + g.Relatives)
		if _, err := regionfile.ParseWeekdays(g.Workdays); err != nil {
			bad(key+".workdays", "%v", err)
		}
		st, err1 := ParseClock(g.Start)
		en, err2 := ParseClock(g.End)
		if err1 != nil {
			bad(key+".start", "%v", err1)
		}
		if err2 != nil {
			bad(key+".end", "%v", err2)
		}
		if err1 == nil && err2 == nil && en-st < time.Hour {
			bad(key+".end", "working day %s-%s is shorter than an hour", g.Start, g.End)
		}
		ss, err1 := ParseClock(g.ShiftStart)
		se, err2 := ParseClock(g.ShiftEnd)
		if err1 != nil {
			bad(key+".shift_start", "%v", err1)
		}
		if err2 != nil {
			bad(key+".shift_end", "%v", err2)
		}
		if err1 == nil && err2 == nil && se-ss < time.Hour {
			bad(key+".shift_end", "shift %s-%s is shorter than an hour", g.ShiftStart, g.ShiftEnd)
		}
		if g.ArrivalJitterMinutes < 0 || g.ArrivalJitterMinutes > 180 {
			bad(key+".arrival_jitter_minutes", "want 0 to 180, got %d", g.ArrivalJitterMinutes)
		}
		share(key+".meetings", g.Meetings)
		share(key+".work_friends", g.WorkFriends)
		share(key+".part_time", g.PartTime)
		share(key+".shift", g.Shift)
		share(key+".wfh", g.WFH)
		for _, f := range []struct {
			k string
			v float64
		}{{"neighbours", g.Neighbours}, {"visitors", g.Visitors}, {"relatives", g.Relatives}} {
			if f.v < 0 || f.v > 3 {
				bad(key+"."+f.k, "want 0 to 3 per member, got %v", f.v)
			}
		}
	}
	p := s.Population
	share("population.night_off", p.NightOff)
	share("population.silent_off", p.SilentOff)
	share("population.workers", p.Workers)
	share("population.shoppers", p.Shoppers)
	share("population.delivery", p.Delivery)
	share("population.roamers", p.Roamers)
	share("population.reselect", p.Reselect)
	total += p.Delivery + p.Roamers
	if total > 0.9 {
		bad("groups/population", "groups, their neighbours, visitors, relatives, delivery workers and roamers add up to %.0f%% of subscribers; leave room for residents", total*100)
	}
	if p.RoamerStayDays[0] < 1 || p.RoamerStayDays[1] < p.RoamerStayDays[0] {
		bad("population.roamer_stay_days", "want [min, max] with 1 <= min <= max, got %v", p.RoamerStayDays)
	}
	if p.CardFarm.SIMs < 0 || p.CardFarm.SIMs > 1000 {
		bad("population.card_farm.sims", "want 0 to 1000, got %d", p.CardFarm.SIMs)
	}
	if p.CardFarm.SIMs > 0 {
		if !inGrid(p.CardFarm.Cell, n) {
			bad("population.card_farm.cell", "%v is outside the grid", p.CardFarm.Cell)
		}
		if p.CardFarm.Day < 0 || p.CardFarm.Hour < 0 || p.CardFarm.Hour > 23 {
			bad("population.card_farm", "want day >= 0 and hour 0-23, got day %d hour %d", p.CardFarm.Day, p.CardFarm.Hour)
		}
	}
	t := s.Traffic
	for _, f := range []struct {
		k   string
		v   float64
		max float64
	}{{"calls_per_day", t.CallsPerDay, 200}, {"sms_per_day", t.SMSPerDay, 500}, {"ussd_per_day", t.USSDPerDay, 50}, {"location_queries_per_day", t.LocationQueriesPerDay, 50}} {
		if f.v < 0 || f.v > f.max {
			bad("traffic."+f.k, "want 0 to %v, got %v", f.max, f.v)
		}
	}
	if t.MeanCallSeconds < 5 || t.MeanCallSeconds > 3600 {
		bad("traffic.mean_call_seconds", "want 5 to 3600, got %v", t.MeanCallSeconds)
	}
	share("traffic.international_share", t.InternationalShare)
	share("traffic.hotline_share", t.HotlineShare)
	share("traffic.offnet_share", t.OffNetShare)
	share("traffic.imei_check_share", t.IMEICheckShare)
	share("traffic.colleague_share", t.ColleagueShare)
	share("traffic.relative_share", t.RelativeShare)
	if t.InternationalShare+t.HotlineShare+t.OffNetShare > 1 {
		bad("traffic", "international, hotline and off-net shares add up to more than 1")
	}
	if len(s.Roaming) == 0 && p.Roamers > 0 {
		bad("roaming_partners", "roamers are configured but no roaming partner is")
	}
	for i, r := range s.Roaming {
		key := fmt.Sprintf("roaming_partners[%d]", i)
		checkPLMN(key+".plmn", r.PLMN)
		if r.PLMN == s.PLMN {
			bad(key+".plmn", "is the home network")
		}
		if !digits(r.CC, 1, 3) {
			bad(key+".country_code", "want 1-3 digits, got %q", r.CC)
		}
		if r.Weight <= 0 {
			bad(key+".weight", "must be positive")
		}
	}
	if len(s.Devices) == 0 {
		bad("devices", "need at least one device model")
	}
	for i, d := range s.Devices {
		if !digits(d.TAC, 8, 8) {
			bad(fmt.Sprintf("devices[%d].tac", i), "want 8 digits, got %q", d.TAC)
		}
		if d.Weight <= 0 {
			bad(fmt.Sprintf("devices[%d].weight", i), "must be positive")
		}
	}
	for i, h := range s.Hotlines {
		if !digits(h.Number, 4, 15) {
			bad(fmt.Sprintf("hotlines[%d].number", i), "want 4-15 digits (international format without +), got %q", h.Number)
		}
	}
	tr := s.Transport
	share("transport.vlan_share", tr.VLANShare)
	share("transport.fragment_share", tr.FragmentShare)
	if tr.MaxChunk < 64 || tr.MaxChunk > 1400 {
		bad("transport.max_chunk", "want 64 to 1400 bytes, got %d", tr.MaxChunk)
	}
	if tr.XUDTThreshold < 100 || tr.XUDTThreshold > 240 {
		bad("transport.xudt_threshold", "want 100 to 240 bytes, got %d", tr.XUDTThreshold)
	}
	if tr.BundleWindowUS < 0 || tr.BundleWindowUS > 100000 {
		bad("transport.bundle_window_us", "want 0 to 100000, got %d", tr.BundleWindowUS)
	}
	s.validateMarketing(bad, regions)
	if len(errs) > 0 {
		if len(errs) > 3 {
			errs = append(errs[:3], fmt.Sprintf("and %d more", len(errs)-3))
		}
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

func digits(s string, min, max int) bool {
	if len(s) < min || len(s) > max {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func inGrid(c [2]int, n Network) bool {
	return c[0] >= 0 && c[1] >= 0 && c[0] < n.Cols && c[1] < n.Rows
}

// ParseClock parses "HH:MM" into an offset from midnight.
func ParseClock(s string) (time.Duration, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fmt.Errorf("want HH:MM, got %q", s)
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}
