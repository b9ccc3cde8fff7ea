package parquet

import "github.com/sigprobe/sigprobe/sink"

// The Parquet rows, one struct per table: this file is the Parquet schema.
// Fields are in the column order of deploy/clickhouse/schema.sql (a test
// checks names, order and types against the DDL). Identities are strings;
// the DDL's DateTime('UTC') columns are Parquet timestamps, INT64
// TIMESTAMP(MILLIS, UTC) — Parquet has no seconds unit — so every reader
// (ClickHouse, chDB, DuckDB, pandas) sees times, not numbers; small unsigned
// integers carry the UINT(n) logical type. Low-cardinality strings are
// dictionary-encoded.

// ms turns the sink's unix seconds into a timestamp column's milliseconds.
func ms(sec int64) int64 { return sec * 1000 }

type trajectoryRow struct {
	IMSI string `parquet:"imsi"`
	TS   int64  `parquet:"ts,delta,timestamp(millisecond:utc)"`
	LAC  uint16 `parquet:"lac"`
	CI   uint16 `parquet:"ci"`
	Key  string `parquet:"key_id,dict"`
}

func (r *trajectoryRow) set(s *sink.TrajectoryPoint) {
	*r = trajectoryRow{IMSI: s.IMSI.String(), TS: ms(s.TS), LAC: s.LAC, CI: s.CI, Key: s.KeyID}
}

type dwellRow struct {
	IMSI    string `parquet:"imsi"`
	MSISDN  string `parquet:"msisdn"`
	LAC     uint16 `parquet:"lac"`
	CI      uint16 `parquet:"ci"`
	StartTS int64  `parquet:"start_ts,delta,timestamp(millisecond:utc)"`
	EndTS   int64  `parquet:"end_ts,delta,timestamp(millisecond:utc)"`
	Roamer  bool   `parquet:"roamer"`
	Reason  string `parquet:"reason,dict"`
	Key     string `parquet:"key_id,dict"`
}

func (r *dwellRow) set(s *sink.Dwell) {
	*r = dwellRow{IMSI: s.IMSI.String(), MSISDN: s.MSISDN.String(), LAC: s.LAC, CI: s.CI,
		StartTS: ms(s.StartTS), EndTS: ms(s.EndTS), Roamer: s.Roamer, Reason: s.Reason, Key: s.KeyID}
}

type regionMinuteRow struct {
	Region    string   `parquet:"region,dict"`
	MinuteTS  int64    `parquet:"minute_ts,delta,timestamp(millisecond:utc)"`
	Occupancy uint32   `parquet:"occupancy"`
	Inflow    uint32   `parquet:"inflow"`
	Outflow   uint32   `parquet:"outflow"`
	Roamers   uint32   `parquet:"roamers"`
	ExitDwell []uint32 `parquet:"exit_dwell,list"`
}

func (r *regionMinuteRow) set(s *sink.RegionMinute) {
	// Reuse the list's backing array: the writer copies values out on Write.
	ed := append(r.ExitDwell[:0], s.ExitDwell[:]...)
	*r = regionMinuteRow{Region: s.Region, MinuteTS: ms(s.MinuteTS), Occupancy: s.Occupancy,
		Inflow: s.Inflow, Outflow: s.Outflow, Roamers: s.Roamers, ExitDwell: ed}
}

type eventRow struct {
	TS        int64  `parquet:"ts,delta,timestamp(millisecond:utc)"`
	IMSI      string `parquet:"imsi"`
	MSISDN    string `parquet:"msisdn"`
	Kind      string `parquet:"kind,dict"`
	LAC       uint16 `parquet:"lac"`
	CI        uint16 `parquet:"ci"`
	Peer      string `parquet:"peer"`
	SetupTS   int64  `parquet:"setup_ts,timestamp(millisecond:utc)"`
	AnswerTS  int64  `parquet:"answer_ts,timestamp(millisecond:utc)"`
	ReleaseTS int64  `parquet:"release_ts,timestamp(millisecond:utc)"`
	Duration  uint32 `parquet:"duration_s"`
	Cause     uint8  `parquet:"cause"`
	Roamer    bool   `parquet:"roamer"`
	Key       string `parquet:"key_id,dict"`
}

func (r *eventRow) set(s *sink.Event) {
	*r = eventRow{TS: ms(s.TS), IMSI: s.IMSI.String(), MSISDN: s.MSISDN.String(), Kind: s.Kind,
		LAC: s.LAC, CI: s.CI, Peer: s.Peer.String(), SetupTS: ms(s.SetupTS), AnswerTS: ms(s.AnswerTS),
		ReleaseTS: ms(s.ReleaseTS), Duration: s.Duration, Cause: s.Cause, Roamer: s.Roamer, Key: s.KeyID}
}

type triggerRow struct {
	ID      string `parquet:"id"`
	Rule    string `parquet:"rule,dict"`
	Kind    string `parquet:"kind,dict"`
	TS      int64  `parquet:"ts,delta,timestamp(millisecond:utc)"`
	IMSI    string `parquet:"imsi"`
	MSISDN  string `parquet:"msisdn"`
	Region  string `parquet:"region,dict"`
	LAC     uint16 `parquet:"lac"`
	CI      uint16 `parquet:"ci"`
	DwellS  uint32 `parquet:"dwell_s"`
	HomeMCC string `parquet:"home_mcc,dict"`
	HomeMNC string `parquet:"home_mnc,dict"`
	Attrs   string `parquet:"attrs"`

	Peer      string `parquet:"peer"`
	DurationS uint32 `parquet:"duration_s"`
	Cause     uint8  `parquet:"cause"`
	Campaign  string `parquet:"campaign,dict"`
	Control   bool   `parquet:"control"`
	Key       string `parquet:"key_id,dict"`
}

func (r *triggerRow) set(s *sink.Trigger) {
	*r = triggerRow{ID: s.ID, Rule: s.Rule, Kind: s.Kind, TS: ms(s.TS), IMSI: s.IMSI.String(),
		MSISDN: s.MSISDN.String(), Region: s.Region, LAC: s.LAC, CI: s.CI, DwellS: clampU32(s.DwellS),
		HomeMCC: s.HomeMCC, HomeMNC: s.HomeMNC, Attrs: s.Attrs,
		Peer: s.Peer.String(), DurationS: clampU32(s.DurationS), Cause: s.Cause, Campaign: s.Campaign, Control: s.Control, Key: s.KeyID}
}

type subscriberRow struct {
	IMSI      string `parquet:"imsi"`
	MSISDN    string `parquet:"msisdn"`
	IMEI      string `parquet:"imei"`
	HomeMCC   string `parquet:"home_mcc,dict"`
	HomeMNC   string `parquet:"home_mnc,dict"`
	FirstSeen int64  `parquet:"first_seen,timestamp(millisecond:utc)"`
	LastSeen  int64  `parquet:"last_seen,timestamp(millisecond:utc)"`
	Key       string `parquet:"key_id,dict"`
}

func (r *subscriberRow) set(s *sink.Subscriber) {
	*r = subscriberRow{IMSI: s.IMSI.String(), MSISDN: s.MSISDN.String(), IMEI: s.IMEI.String(),
		HomeMCC: s.HomeMCC, HomeMNC: s.HomeMNC, FirstSeen: ms(s.FirstSeen), LastSeen: ms(s.LastSeen), Key: s.KeyID}
}

// clampU32 maps a duration in seconds onto UInt32 (dwell_s); negative is 0.
func clampU32(v int64) uint32 {
	switch {
	case v < 0:
		return 0
	case v > 1<<32-1:
		return 1<<32 - 1
	}
	return uint32(v)
}
