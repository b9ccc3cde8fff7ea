package clickhouse

import (
	"context"
	"fmt"
	"strings"

	ch "github.com/ClickHouse/clickhouse-go/v2"

	"github.com/sigprobe/sigprobe/format/calendar"
	"github.com/sigprobe/sigprobe/format/regions"
)

// ReferenceStatements returns the statements that replace the contents of
// regions, groups and calendar_days with rf and its groups' calendar files
// (read from disk, relative to rf). Group time zones are checked by
// regions.Load; calendars are loaded here and errors name the file and line.
func ReferenceStatements(rf *regions.File) ([]string, error) {
	out := []string{"TRUNCATE TABLE IF EXISTS regions", "TRUNCATE TABLE IF EXISTS groups", "TRUNCATE TABLE IF EXISTS calendar_days"}
	var b strings.Builder
	for _, r := range rf.Regions {
		b.Reset()
		b.WriteString("INSERT INTO regions (region, kind, lac, ci) VALUES ")
		for i, c := range r.Cells {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "(%s, %s, %d, %d)", Quote(r.Name), Quote(r.Kind), c.LAC, c.CI)
		}
		out = append(out, b.String())
	}
	cals := map[string]*calendar.Calendar{}
	for i := range rf.Groups {
		g := &rf.Groups[i]
		name := ""
		if path := rf.CalendarPath(g); path != "" {
			c, err := calendar.Load(path)
			if err != nil {
				return nil, fmt.Errorf("group %s: calendar: %w", g.Name, err)
			}
			if o, dup := cals[c.Name]; dup && len(o.Days) != len(c.Days) {
				return nil, fmt.Errorf("group %s: calendar %s: another file of the same name differs", g.Name, path)
			}
			cals[c.Name], name = c, c.Name
		}
		tz := g.Timezone
		if tz == "" {
			tz = "UTC"
		}
		out = append(out, fmt.Sprintf("INSERT INTO groups (name, region, workdays, start, end, timezone, calendar) VALUES (%s, %s, %s, %s, %s, %s, %s)",
			Quote(g.Name), Quote(g.Region), Quote(g.Workdays), Quote(g.Start), Quote(g.End), Quote(tz), Quote(name)))
	}
	for name, c := range cals {
		if len(c.Days) == 0 {
			continue
		}
		b.Reset()
		b.WriteString("INSERT INTO calendar_days (calendar, day, kind, name) VALUES ")
		for i, d := range c.Days {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "(%s, '%s', '%s', %s)", Quote(name), d.Date.Format("2006-01-02"), d.Kind, Quote(d.Name))
		}
		out = append(out, b.String())
	}
	return out, nil
}

// Quote returns s as a ClickHouse string literal.
func Quote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// Exec runs statements in order on the ClickHouse server at dsn (native
// protocol); errors name the statement's first words.
func Exec(ctx context.Context, dsn string, stmts []string) error {
	opts, err := ch.ParseDSN(dsn)
	if err != nil {
		return fmt.Errorf("clickhouse: bad DSN: %v", err)
	}
	conn, err := ch.Open(opts)
	if err != nil {
		return fmt.Errorf("clickhouse: %v", err)
	}
	defer conn.Close()
	for _, st := range stmts {
		if err := conn.Exec(ctx, st); err != nil {
			head := st
			if len(head) > 40 {
				head = head[:40]
			}
			return fmt.Errorf("clickhouse: %s...: %s", head, strings.Join(strings.Fields(err.Error()), " "))
		}
	}
	return nil
}
