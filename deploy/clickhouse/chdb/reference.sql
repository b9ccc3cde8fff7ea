-- Reference tables the analysis queries join; they belong in
-- deploy/clickhouse/schema.sql next to the probe tables. The probe (or an
-- operator's job) fills regions and groups from regions.yaml and
-- number_prefixes from the operator's numbering plan.

-- One row per cell of a micro-region (a cell may be in several regions).
CREATE TABLE IF NOT EXISTS regions (
    region LowCardinality(String), kind LowCardinality(String), lac UInt16, ci UInt16
) ENGINE = MergeTree ORDER BY (region, lac, ci);

-- Enterprises: workdays as in regions.yaml ("mon-fri", "mon,wed,fri"),
-- start and end as "HH:MM" (UTC).
CREATE TABLE IF NOT EXISTS groups (
    name String, region LowCardinality(String), workdays String, start String, end String
) ENGINE = MergeTree ORDER BY name;

-- Number prefixes (E.164 digits, longest match wins) and the area they belong to.
CREATE TABLE IF NOT EXISTS number_prefixes (
    prefix String, area String
) ENGINE = MergeTree ORDER BY prefix;

-- A group's whitelist as accepted by the analyst for a month (the output of
-- queries/group_whitelist.sql or `sigprobe whitelist`); the per-group
-- reports (operating rate, reachability, dwell time, destinations, terminals)
-- read it.
CREATE TABLE IF NOT EXISTS group_members (
    group_name LowCardinality(String), month Date, imsi String
) ENGINE = MergeTree ORDER BY (group_name, month, imsi);
