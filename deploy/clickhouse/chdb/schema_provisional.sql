-- PROVISIONAL probe tables for the chDB analysis tests, written from the
-- column names of sink/rows.go (json tags). To be replaced by
-- deploy/clickhouse/schema.sql when it lands: the harness uses that file
-- instead of this one as soon as it exists (see harness_test.go).
CREATE TABLE IF NOT EXISTS dwell (
    imsi String, msisdn String, lac UInt16, ci UInt16,
    start_ts Int64, end_ts Int64, roamer Bool, reason LowCardinality(String)
) ENGINE = MergeTree ORDER BY (imsi, start_ts);

CREATE TABLE IF NOT EXISTS trajectories (
    imsi String, ts Int64, lac UInt16, ci UInt16
) ENGINE = MergeTree ORDER BY (imsi, ts);

CREATE TABLE IF NOT EXISTS region_minute (
    region LowCardinality(String), minute_ts Int64, occupancy UInt32, inflow UInt32,
    outflow UInt32, roamers UInt32, exit_dwell Array(UInt32)
) ENGINE = MergeTree ORDER BY (region, minute_ts);

CREATE TABLE IF NOT EXISTS events (
    ts Int64, imsi String, msisdn String, kind LowCardinality(String), lac UInt16, ci UInt16,
    peer String, setup_ts Int64, answer_ts Int64, release_ts Int64, duration_s UInt32,
    cause UInt8, roamer Bool
) ENGINE = MergeTree ORDER BY (imsi, ts);

CREATE TABLE IF NOT EXISTS triggers (
    id String, rule LowCardinality(String), kind LowCardinality(String), ts Int64,
    imsi String, msisdn String, region LowCardinality(String), lac UInt16, ci UInt16,
    dwell_s Int64, home_mcc LowCardinality(String), home_mnc LowCardinality(String), attrs String
) ENGINE = MergeTree ORDER BY (ts, id);

CREATE TABLE IF NOT EXISTS subscribers (
    imsi String, msisdn String, imei String, home_mcc LowCardinality(String),
    home_mnc LowCardinality(String), first_seen Int64, last_seen Int64
) ENGINE = ReplacingMergeTree(last_seen) ORDER BY imsi;
