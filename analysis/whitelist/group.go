package whitelist

import (
	"fmt"
	"time"

	"github.com/sigprobe/sigprobe/format/calendar"
	"github.com/sigprobe/sigprobe/format/regions"
)

type cell struct{ lac, ci uint16 }

// group is a group's region, hours and calendar, resolved for one month.
// Times on the local axis are unix seconds plus the zone's offset at that
// instant: local midnight is a multiple of 86400 there.
type group struct {
	name, region string
	cells        map[cell]bool
	loc          *time.Location
	cal          *calendar.Calendar
	work         uint8 // working weekdays, bit per time.Weekday
	start, end   int64 // seconds of the local day
	phase        int64
	m0, m1       int64 // month bounds, unix seconds (local midnights)
	nDays, rest  int
	sharing      int // groups whose region is this one's
	zs, ze, zoff int64
}

func resolve(rf *regions.File, p Params) (*group, error) {
	var g *regions.Group
	for i := range rf.Groups {
		if rf.Groups[i].Name == p.Group {
			g = &rf.Groups[i]
		}
	}
	if g == nil {
		return nil, fmt.Errorf("whitelist: unknown group %q", p.Group)
	}
	r := &group{cells: map[cell]bool{}, name: g.Name, region: g.Region, zs: 1}
	for _, o := range rf.Groups {
		if o.Region == g.Region {
			r.sharing++
		}
	}
	for _, rg := range rf.Regions {
		if rg.Name == g.Region {
			for _, c := range rg.Cells {
				r.cells[cell{c.LAC, c.CI}] = true
			}
		}
	}
	var err error
	if r.work, err = regions.ParseWeekdays(g.Workdays); err != nil {
		return nil, fmt.Errorf("whitelist: group %s: workdays: %w", g.Name, err)
	}
	start, err := regions.ParseClock(g.Start)
	if err != nil {
		return nil, fmt.Errorf("whitelist: group %s: start: %w", g.Name, err)
	}
	end, err := regions.ParseClock(g.End)
	if err != nil {
		return nil, fmt.Errorf("whitelist: group %s: end: %w", g.Name, err)
	}
	r.start, r.end = int64(start), int64(end)
	if r.end <= r.start {
		return nil, fmt.Errorf("whitelist: group %s: hours %s-%s: the method wants the end after the start", g.Name, g.Start, g.End)
	}
	if r.loc, err = g.Location(); err != nil {
		return nil, fmt.Errorf("whitelist: group %s: timezone: %w", g.Name, err)
	}
	if path := rf.CalendarPath(g); path != "" {
		if r.cal, err = calendar.Load(path); err != nil {
			return nil, fmt.Errorf("whitelist: group %s: calendar: %w", g.Name, err)
		}
	}
	y, m, _ := p.Month.Date()
	first := time.Date(y, m, 1, 0, 0, 0, 0, r.loc)
	r.m0, r.m1 = first.Unix(), time.Date(y, m+1, 1, 0, 0, 0, 0, r.loc).Unix()
	r.nDays = time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
	r.rest = r.nDays
	for d := 1; d <= r.nDays; d++ {
		if r.cal.Works(y, m, d, r.work) {
			r.rest--
		}
	}
	r.phase = r.start % 3600
	return r, nil
}

// local returns ts on the local axis.
func (g *group) local(ts int64) int64 {
	if ts < g.zs || ts >= g.ze {
		lt := time.Unix(ts, 0).In(g.loc)
		_, off := lt.Zone()
		a, b := lt.ZoneBounds()
		g.zoff, g.zs, g.ze = int64(off), -1<<62, 1<<62
		if !a.IsZero() {
			g.zs = a.Unix()
		}
		if !b.IsZero() {
			g.ze = b.Unix()
		}
	}
	return ts + g.zoff
}

// works reports whether the local day starting at d (local axis) is a
// working day of the group.
func (g *group) works(d int64) bool {
	y, m, dd := time.Unix(d, 0).UTC().Date()
	return g.cal.Works(y, m, dd, g.work)
}

func day(ts int64) int64 { return ts - ((ts%86400)+86400)%86400 }
