package parquet

import "github.com/sigprobe/sigprobe/sink"

// The Parquet rows, one struct per table: this file is the Parquet schema.
// Fields are in the column order of deploy/clickhouse/schema.sql (a test
// checks names, order and types against the DDL). Identities are strings,
// times are INT64 unix seconds (ClickHouse casts them to DateTime), small
// unsigned integers carry the UINT(n) logical type. Low-cardinality strings
// are dictionary-encoded.

type trajectoryRow struct {
	IMSI string `parquet:"imsi"`
	TS   int64  `parquet:"ts,delta"`
	LAC  uint16 `parquet:"lac"`
	CI   uint16 `parquet:"ci"`
}

func (r *trajectoryRow) set(s *sink.TrajectoryPoint) {
	*r = trajectoryRow{IMSI: s.IMSI.String(), TS: s.TS, LAC: s.LAC, CI: s.CI}
}

type dwellRow struct {
	IMSI    string `parquet:"imsi"`
	MSISDN  string `parquet:"msisdn"`
	LAC     uint16 `parquet:"lac"`
	CI      uint16 `parquet:"ci"`
	StartTS int64  `parquet:"start_ts,delta"`
	EndTS   int64  `parquet:"end_ts,delta"`
	Roamer  bool   `parquet:"roamer"`
	Reason  string `parquet:"reason,dict"`
}

func (r *dwellRow) set(s *sink.Dwell) {
	*r = dwellRow{IMSI: s.IMSI.String(), MSISDN: s.MSISDN.String(), LAC: s.LAC, CI: s.CI,
		StartTS: s.StartTS, EndTS: s.EndTS, Roamer: s.Roamer, Reason: s.Reason}
}

type regionMinuteRow struct {
	Region    string   `parquet:"region,dict"`
	MinuteTS  int64    `parquet:"minute_ts,delta"`
	Occupancy uint32   `parquet:"occupancy"`
	Inflow    uint32   `parquet:"inflow"`
	Outflow   uint32   `parquet:"outflow"`
	Roamers   uint32   `parquet:"roamers"`
	ExitDwell []uint32 `parquet:"exit_dwell,list"`
}

func (r *regionMinuteRow) set(s *sink.RegionMinute) {
	// Reuse the list's backing array: the writer copies values out on Write.
	ed := append(r.ExitDwell[:0], s.ExitDwell[:]...)
	*r = regionMinuteRow{Region: s.Region, MinuteTS: s.MinuteTS, Occupancy: s.Occupancy,
		Inflow: s.Inflow, Outflow: s.Outflow, Roamers: s.Roamers, ExitDwell: ed}
}

type eventRow struct {
	TS        int64  `parquet:"ts,delta"`
	IMSI      string `parquet:"imsi"`
	MSISDN    string `parquet:"msisdn"`
	Kind      string `parquet:"kind,dict"`
	LAC       uint16 `parquet:"lac"`
	CI        uint16 `parquet:"ci"`
	Peer      string `parquet:"peer"`
	SetupTS   int64  `parquet:"setup_ts"`
	AnswerTS  int64  `parquet:"answer_ts"`
	ReleaseTS int64  `parquet:"release_ts"`
	Duration  uint32 `parquet:"duration_s"`
	Cause     uint8  `parquet:"cause"`
	Roamer    bool   `parquet:"roamer"`
}

func (r *eventRow) set(s *sink.Event) {
	*r = eventRow{TS: s.TS, IMSI: s.IMSI.String(), MSISDN: s.MSISDN.String(), Kind: s.Kind,
		LAC: s.LAC, CI: s.CI, Peer: s.Peer.String(), SetupTS: s.SetupTS, AnswerTS: s.AnswerTS,
		ReleaseTS: s.ReleaseTS, Duration: s.Duration, Cause: s.Cause, Roamer: s.Roamer}
}

type triggerRow struct {
	ID      string `parquet:"id"`
	Rule    string `parquet:"rule,dict"`
	Kind    string `parquet:"kind,dict"`
	TS      int64  `parquet:"ts,delta"`
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
}

func (r *triggerRow) set(s *sink.Trigger) {
	*r = triggerRow{ID: s.ID, Rule: s.Rule, Kind: s.Kind, TS: s.TS, IMSI: s.IMSI.String(),
		MSISDN: s.MSISDN.String(), Region: s.Region, LAC: s.LAC, CI: s.CI, DwellS: clampU32(s.DwellS),
		HomeMCC: s.HomeMCC, HomeMNC: s.HomeMNC, Attrs: s.Attrs,
		Peer: s.Peer.String(), DurationS: clampU32(s.DurationS), Cause: s.Cause, Campaign: s.Campaign, Control: s.Control}
}

type subscriberRow struct {
	IMSI      string `parquet:"imsi"`
	MSISDN    string `parquet:"msisdn"`
	IMEI      string `parquet:"imei"`
	HomeMCC   string `parquet:"home_mcc,dict"`
	HomeMNC   string `parquet:"home_mnc,dict"`
	FirstSeen int64  `parquet:"first_seen"`
	LastSeen  int64  `parquet:"last_seen"`
}

func (r *subscriberRow) set(s *sink.Subscriber) {
	*r = subscriberRow{IMSI: s.IMSI.String(), MSISDN: s.MSISDN.String(), IMEI: s.IMEI.String(),
		HomeMCC: s.HomeMCC, HomeMNC: s.HomeMNC, FirstSeen: s.FirstSeen, LastSeen: s.LastSeen}
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
