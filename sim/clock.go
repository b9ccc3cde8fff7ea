package sim

import (
	"time"

	"github.com/sigprobe/sigprobe/format/calendar"
)

// The town's clock: days start at local midnight, hours, weekdays and the
// holiday calendar are local (scenario keys timezone and calendar).

// clock converts capture time (ns) to the town's local time.
type clock struct {
	loc *time.Location
	cal *calendar.Calendar
	// The zone offset in force between zStart and zEnd (unix seconds);
	// refreshed when t leaves that span, so fixed zones look it up once.
	zStart, zEnd, zOff int64
}

func newClock(loc *time.Location, cal *calendar.Calendar) *clock {
	if loc == nil {
		loc = time.UTC
	}
	return &clock{loc: loc, cal: cal, zStart: 1, zEnd: 0}
}

// offset returns the local zone offset in seconds at t (ns).
func (c *clock) offset(t int64) int64 {
	s := t / sec
	if s < c.zStart || s >= c.zEnd {
		lt := time.Unix(s, 0).In(c.loc)
		_, off := lt.Zone()
		a, b := lt.ZoneBounds()
		c.zOff, c.zStart, c.zEnd = int64(off), -1<<62, 1<<62
		if !a.IsZero() {
			c.zStart = a.Unix()
		}
		if !b.IsZero() {
			c.zEnd = b.Unix()
		}
	}
	return c.zOff
}

// secOfDay returns the local seconds after midnight at t (ns).
func (c *clock) secOfDay(t int64) int64 {
	s := t/sec + c.offset(t)
	return ((s % 86400) + 86400) % 86400
}

// hour returns the local hour at t (ns).
func (c *clock) hour(t int64) int64 { return c.secOfDay(t) / 3600 }

// midnight returns local midnight (unix seconds) of the local date y-m-d.
func (c *clock) midnight(y int, m time.Month, d int) int64 {
	return time.Date(y, m, d, 0, 0, 0, 0, c.loc).Unix()
}

// date returns the local civil date and weekday of local midnight d0 (unix seconds).
func (c *clock) date(d0 int64) (int, time.Month, int, time.Weekday) {
	lt := time.Unix(d0, 0).In(c.loc)
	y, m, d := lt.Date()
	return y, m, d, lt.Weekday()
}

// next returns the local midnight after the one at d0.
func (c *clock) next(d0 int64) int64 {
	y, m, d, _ := c.date(d0)
	return c.midnight(y, m, d+1)
}

// works reports whether the local day starting at d0 is a working day for
// the weekly pattern mask, the calendar's holidays and make-up days applied.
func (c *clock) works(d0 int64, mask uint8) bool {
	y, m, d, _ := c.date(d0)
	return c.cal.Works(y, m, d, mask)
}

const monFri = 0b0111110
