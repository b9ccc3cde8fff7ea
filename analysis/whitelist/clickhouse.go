package whitelist

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	ch "github.com/ClickHouse/clickhouse-go/v2"

	ddl "github.com/sigprobe/sigprobe/deploy/clickhouse"
)

// Columns are the columns of group_whitelist.sql, in order.
var Columns = []string{"imsi", "msisdn", "known", "pdays", "offdays", "nights", "degree", "peers", "days", "rest", "data", "numbers", "groups_in_region"}

// QueryParams returns p as the query parameters of group_whitelist.sql.
func (p Params) QueryParams() map[string]string {
	known := make([]string, len(p.Known))
	for i, k := range p.Known {
		known[i] = ddl.Quote(k)
	}
	return map[string]string{
		"group": p.Group, "month": p.Month.Format("2006-01-02"), "known": "[" + strings.Join(known, ",") + "]",
		"min_slots": strconv.Itoa(p.MinSlots), "home_nights": strconv.Itoa(p.HomeNights),
	}
}

// Row is one row of group_whitelist.sql.
type Row struct {
	IMSI, MSISDN                              string
	Known, PDays, Offdays, Nights, Degree     int64
	Peers                                     []string
	Days, Rest, Data, Numbers, GroupsInRegion int64
}

// ErrNoGroup: the groups table has no such group.
var ErrNoGroup = errors.New("whitelist: no such group in the groups table (load regions.yaml with `sigprobe schema apply --regions`)")

// FromRows turns the rows of group_whitelist.sql into the features and the
// number of groups in the group's region.
func FromRows(rows []Row) (*Input, int, error) {
	in := &Input{}
	sharing := 0
	facts := false
	for _, r := range rows {
		if r.IMSI == "" {
			in.Month = Month{Days: int(r.Days), Rest: int(r.Rest), DataDays: int(r.Data), Numbers: int(r.Numbers)}
			sharing, facts = int(r.GroupsInRegion), true
			continue
		}
		in.Pool = append(in.Pool, Presence{IMSI: r.IMSI, MSISDN: r.MSISDN, Known: r.Known != 0, PDays: int(r.PDays),
			Offdays: int(r.Offdays), Nights: int(r.Nights), Degree: int(r.Degree), Peers: r.Peers})
	}
	if !facts || sharing == 0 {
		return nil, 0, ErrNoGroup
	}
	sort.Slice(in.Pool, func(i, j int) bool { return in.Pool[i].IMSI < in.Pool[j].IMSI })
	return in, sharing, nil
}

// QueryClickHouse runs group_whitelist.sql on the ClickHouse server at dsn
// (native protocol) and returns its rows.
func QueryClickHouse(ctx context.Context, dsn string, p Params) ([]Row, error) {
	opts, err := ch.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: bad DSN: %v", err)
	}
	if opts.Protocol != ch.Native {
		return nil, fmt.Errorf("clickhouse: DSN must use the native protocol (clickhouse://host:9000)")
	}
	conn, err := ch.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: %v", err)
	}
	defer conn.Close()
	q := strings.TrimRight(strings.TrimSpace(ddl.GroupWhitelistSQL), ";")
	params := ch.Parameters{}
	for k, v := range p.QueryParams() {
		params[k] = v
	}
	rs, err := conn.Query(ch.Context(ctx, ch.WithParameters(params)), q)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: group_whitelist.sql: %s", strings.Join(strings.Fields(err.Error()), " "))
	}
	defer rs.Close()
	if cols := rs.Columns(); strings.Join(cols, ",") != strings.Join(Columns, ",") {
		return nil, fmt.Errorf("clickhouse: group_whitelist.sql returned columns %v, want %v", cols, Columns)
	}
	var out []Row
	for rs.Next() {
		var r Row
		if err := rs.Scan(&r.IMSI, &r.MSISDN, &r.Known, &r.PDays, &r.Offdays, &r.Nights, &r.Degree, &r.Peers,
			&r.Days, &r.Rest, &r.Data, &r.Numbers, &r.GroupsInRegion); err != nil {
			return nil, fmt.Errorf("clickhouse: group_whitelist.sql: %v", err)
		}
		out = append(out, r)
	}
	return out, rs.Err()
}
