-- sigprobe ClickHouse schema, single node.
--
-- Applied by `sigprobe schema apply --dsn ...` (idempotent: every statement is
-- CREATE ... IF NOT EXISTS) and by the chDB test harness. The cluster variant
-- is schema-cluster.sql: the same columns on ReplicatedMergeTree behind
-- Distributed tables. Tables are created in the connection's database.
--
-- Column names and order are those of sink/rows.go's json tags and of the
-- Parquet files sink/parquet writes (a Go test compares them), so
--   INSERT INTO dwell SELECT * FROM file('out/dwell/*.parquet', Parquet)
-- loads the embedded default's files. Identities (IMSI, MSISDN, IMEI, peer)
-- are strings: leading zeros matter (MCC 001) and nobody does arithmetic on
-- them; pseudonymized (privacy.pseudonymize) they are 16 hex digits and
-- key_id names the key (deploy/SECURITY.md), empty for clear rows. Times
-- are unix seconds, stored as DateTime('UTC') (4 bytes); the Parquet files
-- carry them as TIMESTAMP(MILLIS) columns.
--
-- Choices shared by every table:
-- * ORDER BY is the filter analysts use first; the primary index is sparse
--   (one mark per 8192 rows), so the leading columns decide which granules a
--   query reads. Where a second access path matters (a subscriber's history
--   in a table ordered by cell) a bloom_filter skip index serves it instead of
--   a second copy of the data.
-- * PARTITION BY follows retention, not queries: daily partitions for the
--   per-subscriber tables kept 90 days (about 90 partitions, far below the
--   ~1000 where merges and metadata suffer), monthly ones for the small or
--   long-lived tables. With ttl_only_drop_parts = 1 the TTL drops whole parts
--   of expired partitions instead of rewriting parts row by row.
--   The 90 days are a default for location data about identifiable people
--   (ePrivacy art. 9 / PECR reg. 14 need consent or anonymisation); change
--   the TTLs to your policy, the aggregated region_minute keeps 2 years.
-- * LowCardinality(String) only for columns with a few thousand values at
--   most (kind, reason, rule, region, home MCC/MNC). IMSIs, MSISDNs, trigger
--   ids and attribute strings are high-cardinality and stay String; cell ids
--   are numbers (UInt16) and a national network has far more than the ~10k
--   values where LowCardinality stops paying, so no dictionary for them.
-- * Codecs: the leading time column of a sort key rises within each key
--   prefix, so Delta turns it into small numbers before ZSTD; DoubleDelta
--   where the step is constant (minute_ts, every 60 s). T64 crops the unused
--   high bits of counters (mostly small values in 32-bit columns) before
--   ZSTD. Everything else is ZSTD(1): better ratio than the default LZ4 at a
--   decompression cost these scan-heavy tables can afford.
-- * non_replicated_deduplication_window = 1000: the sink sends every insert
--   with an insert_deduplication_token made of the table, the block's
--   ordinal in the batch stream and a hash of its rows, so a block retried
--   after a lost acknowledgement, replayed from the sink's spool after an
--   outage, or written again after the probe restarts from a checkpoint is
--   stored once. Plain MergeTree only remembers tokens when this window is
--   set; at about one insert per second per table 1000 blocks cover a
--   quarter of an hour, and a spooled block is replayed before anything
--   newer is inserted into its table.

-- trajectories: one row when a subscriber is first seen in a cell. Read as
-- "the path of this subscriber": ORDER BY (imsi, ts) makes one subscriber's
-- points contiguous and time-ordered.
CREATE TABLE IF NOT EXISTS trajectories
(
    imsi   String                 CODEC(ZSTD(1)),
    ts     DateTime('UTC')        CODEC(Delta, ZSTD(1)),
    lac    UInt16                 CODEC(ZSTD(1)),
    ci     UInt16                 CODEC(ZSTD(1)),
    key_id LowCardinality(String) CODEC(ZSTD(1))
)
ENGINE = MergeTree
PARTITION BY toYYYYMMDD(ts)
ORDER BY (imsi, ts)
TTL ts + INTERVAL 90 DAY
SETTINGS non_replicated_deduplication_window = 1000, ttl_only_drop_parts = 1;

-- dwell: closed intervals in one cell. Read by place and time ("who stayed
-- in these cells, for how long, between t1 and t2"): a micro-region is a set
-- of (lac, ci), so ORDER BY (lac, ci, start_ts) turns a region filter into a
-- few primary-key ranges. A subscriber's dwell history uses the imsi bloom
-- filter.
CREATE TABLE IF NOT EXISTS dwell
(
    imsi     String                 CODEC(ZSTD(1)),
    msisdn   String                 CODEC(ZSTD(1)),
    lac      UInt16                 CODEC(ZSTD(1)),
    ci       UInt16                 CODEC(ZSTD(1)),
    start_ts DateTime('UTC')        CODEC(Delta, ZSTD(1)),
    end_ts   DateTime('UTC')        CODEC(ZSTD(1)),
    roamer   Bool                   CODEC(ZSTD(1)),
    reason   LowCardinality(String) CODEC(ZSTD(1)),
    key_id   LowCardinality(String) CODEC(ZSTD(1)),
    INDEX imsi_bf imsi TYPE bloom_filter(0.01) GRANULARITY 4
)
ENGINE = MergeTree
PARTITION BY toYYYYMMDD(start_ts)
ORDER BY (lac, ci, start_ts)
TTL start_ts + INTERVAL 90 DAY
SETTINGS non_replicated_deduplication_window = 1000, ttl_only_drop_parts = 1;

-- region_minute: per micro-region counters, one row per region and minute.
-- Aggregated and anonymous, so kept two years in monthly partitions. Read
-- as time series of one or a few regions: ORDER BY (region, minute_ts).
CREATE TABLE IF NOT EXISTS region_minute
(
    region     LowCardinality(String) CODEC(ZSTD(1)),
    minute_ts  DateTime('UTC')        CODEC(DoubleDelta, ZSTD(1)),
    occupancy  UInt32                 CODEC(T64, ZSTD(1)),
    inflow     UInt32                 CODEC(T64, ZSTD(1)),
    outflow    UInt32                 CODEC(T64, ZSTD(1)),
    roamers    UInt32                 CODEC(T64, ZSTD(1)),
    exit_dwell Array(UInt32)          CODEC(ZSTD(1))
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(minute_ts)
ORDER BY (region, minute_ts)
TTL minute_ts + INTERVAL 730 DAY
SETTINGS non_replicated_deduplication_window = 1000, ttl_only_drop_parts = 1;

-- events: subscriber activity with the cell it happened in. Queries count
-- one kind of activity (calls, SMS, detaches) per place and time, so the
-- low-cardinality kind leads, then the cell, then time. Per-subscriber
-- lookups use the imsi bloom filter.
CREATE TABLE IF NOT EXISTS events
(
    ts         DateTime('UTC')        CODEC(Delta, ZSTD(1)),
    imsi       String                 CODEC(ZSTD(1)),
    msisdn     String                 CODEC(ZSTD(1)),
    kind       LowCardinality(String) CODEC(ZSTD(1)),
    lac        UInt16                 CODEC(ZSTD(1)),
    ci         UInt16                 CODEC(ZSTD(1)),
    peer       String                 CODEC(ZSTD(1)),
    setup_ts   DateTime('UTC')        CODEC(ZSTD(1)),
    answer_ts  DateTime('UTC')        CODEC(ZSTD(1)),
    release_ts DateTime('UTC')        CODEC(ZSTD(1)),
    duration_s UInt32                 CODEC(T64, ZSTD(1)),
    cause      UInt8                  CODEC(ZSTD(1)),
    roamer     Bool                   CODEC(ZSTD(1)),
    key_id     LowCardinality(String) CODEC(ZSTD(1)),
    INDEX imsi_bf imsi TYPE bloom_filter(0.01) GRANULARITY 4
)
ENGINE = MergeTree
PARTITION BY toYYYYMMDD(ts)
ORDER BY (kind, lac, ci, ts)
TTL ts + INTERVAL 90 DAY
SETTINGS non_replicated_deduplication_window = 1000, ttl_only_drop_parts = 1;

-- triggers: fired rules, also published on NATS. Small; read per rule and
-- region over time (campaign reports), so ORDER BY (rule, region, ts).
-- Monthly partitions, 180 days for campaign attribution.
CREATE TABLE IF NOT EXISTS triggers
(
    id       String                 CODEC(ZSTD(1)),
    rule     LowCardinality(String) CODEC(ZSTD(1)),
    kind     LowCardinality(String) CODEC(ZSTD(1)),
    ts       DateTime('UTC')        CODEC(Delta, ZSTD(1)),
    imsi     String                 CODEC(ZSTD(1)),
    msisdn   String                 CODEC(ZSTD(1)),
    region   LowCardinality(String) CODEC(ZSTD(1)),
    lac      UInt16                 CODEC(ZSTD(1)),
    ci       UInt16                 CODEC(ZSTD(1)),
    dwell_s  UInt32                 CODEC(T64, ZSTD(1)),
    home_mcc LowCardinality(String) CODEC(ZSTD(1)),
    home_mnc LowCardinality(String) CODEC(ZSTD(1)),
    attrs    String                 CODEC(ZSTD(1)),
    -- calls and SMS: the other party; roam_out/roam_return: the foreign VLR
    peer       String                 CODEC(ZSTD(1)),
    duration_s UInt32                 CODEC(T64, ZSTD(1)),
    cause      UInt8                  CODEC(ZSTD(1)),
    -- campaign response: the rule's campaign; control = held out, not published
    campaign   LowCardinality(String) CODEC(ZSTD(1)),
    control    Bool                   CODEC(ZSTD(1)),
    key_id     LowCardinality(String) CODEC(ZSTD(1))
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (rule, region, ts)
TTL ts + INTERVAL 180 DAY
SETTINGS non_replicated_deduplication_window = 1000, ttl_only_drop_parts = 1;

-- subscribers: what the probe learned about each subscriber, re-sent as it
-- learns more. ReplacingMergeTree(last_seen) keeps the newest row per imsi
-- (read with FINAL or argMax). Unpartitioned on purpose: replacing only
-- works inside a partition, and a time partition would keep stale versions
-- forever. The TTL therefore removes rows in merges rather than whole parts.
CREATE TABLE IF NOT EXISTS subscribers
(
    imsi       String                 CODEC(ZSTD(1)),
    msisdn     String                 CODEC(ZSTD(1)),
    imei       String                 CODEC(ZSTD(1)),
    home_mcc   LowCardinality(String) CODEC(ZSTD(1)),
    home_mnc   LowCardinality(String) CODEC(ZSTD(1)),
    first_seen DateTime('UTC')        CODEC(ZSTD(1)),
    last_seen  DateTime('UTC')        CODEC(ZSTD(1)),
    key_id     LowCardinality(String) CODEC(ZSTD(1))
)
ENGINE = ReplacingMergeTree(last_seen)
ORDER BY imsi
TTL last_seen + INTERVAL 90 DAY
SETTINGS non_replicated_deduplication_window = 1000;

-- Reference tables: what the analysis queries join. `sigprobe schema apply
-- --regions regions.yaml` fills regions, groups and calendar_days from the
-- regions file and the groups' calendar files (replacing what was there);
-- number_prefixes comes from the operator's numbering plan and
-- group_members from accepted whitelists. Small, so plain MergeTree, no TTL.

-- regions: one row per cell of a micro-region (a cell may be in several).
CREATE TABLE IF NOT EXISTS regions
(
    region LowCardinality(String),
    kind   LowCardinality(String),
    lac    UInt16,
    ci     UInt16
)
ENGINE = MergeTree
ORDER BY (region, lac, ci);

-- groups: enterprises. workdays as in regions.yaml ("mon-fri", "mon,wed,fri");
-- start and end "HH:MM" in the group's IANA timezone; calendar names the
-- calendar_days rows that apply ('' for none).
CREATE TABLE IF NOT EXISTS groups
(
    name     String,
    region   LowCardinality(String),
    workdays String,
    start    String,
    end      String,
    timezone String,
    calendar String
)
ENGINE = MergeTree
ORDER BY name;

-- calendar_days: public holidays and make-up working days (kind 'holiday' or
-- 'workday'), by calendar name (the calendar file's base name).
CREATE TABLE IF NOT EXISTS calendar_days
(
    calendar LowCardinality(String),
    day      Date,
    kind     LowCardinality(String),
    name     String
)
ENGINE = MergeTree
ORDER BY (calendar, day);

-- number_prefixes: E.164 prefixes (longest match wins) and their area.
CREATE TABLE IF NOT EXISTS number_prefixes
(
    prefix String,
    area   String
)
ENGINE = MergeTree
ORDER BY prefix;

-- group_members: a group's whitelist as accepted for a month (the output of
-- `sigprobe whitelist`); the per-group reports read it.
CREATE TABLE IF NOT EXISTS group_members
(
    group_name LowCardinality(String),
    month      Date,
    imsi       String
)
ENGINE = MergeTree
ORDER BY (group_name, month, imsi);
