-- sigprobe ClickHouse schema, cluster variant.
--
-- The same tables and columns as schema.sql (read that file for the choice of
-- ORDER BY, partitions, TTL, codecs and LowCardinality; a Go test keeps the
-- column lists identical). Each table <t> is stored in <t>_local on every
-- replica as Replicated*MergeTree and read and written through a Distributed
-- table <t> with the plain name, so queries work unchanged on one node or a
-- cluster.
--
-- Macros: {cluster} is replaced by `sigprobe schema apply --cluster NAME`
-- (or expanded by the server from its <macros> if left in place); {shard}
-- and {replica} come from each server's <macros> section, {database} and
-- {table} are built in.
--
-- Sharding: the per-subscriber tables shard by cityHash64(imsi), so one
-- subscriber's rows live on one shard and per-subscriber aggregations run
-- shard-locally (distributed_group_by_no_merge). region_minute shards by
-- region for the same reason.
--
-- Deduplication: replicated tables deduplicate inserted blocks by default;
-- replicated_deduplication_window = 1000 keeps the last 1000 block tokens
-- (the sink sends insert_deduplication_token). Insert through the Distributed
-- table with distributed_foreground_insert = 1 (the sink's Settings), so the
-- token reaches the shards with the block unchanged, or point the sink at the
-- *_local tables of one shard per writer.

CREATE TABLE IF NOT EXISTS trajectories_local ON CLUSTER '{cluster}'
(
    imsi   String                 CODEC(ZSTD(1)),
    ts     DateTime('UTC')        CODEC(Delta, ZSTD(1)),
    lac    UInt16                 CODEC(ZSTD(1)),
    ci     UInt16                 CODEC(ZSTD(1)),
    key_id LowCardinality(String) CODEC(ZSTD(1))
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')
PARTITION BY toYYYYMMDD(ts)
ORDER BY (imsi, ts)
TTL ts + INTERVAL 90 DAY
SETTINGS replicated_deduplication_window = 1000, ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS trajectories ON CLUSTER '{cluster}' AS trajectories_local
ENGINE = Distributed('{cluster}', currentDatabase(), trajectories_local, cityHash64(imsi));

CREATE TABLE IF NOT EXISTS dwell_local ON CLUSTER '{cluster}'
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
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')
PARTITION BY toYYYYMMDD(start_ts)
ORDER BY (lac, ci, start_ts)
TTL start_ts + INTERVAL 90 DAY
SETTINGS replicated_deduplication_window = 1000, ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS dwell ON CLUSTER '{cluster}' AS dwell_local
ENGINE = Distributed('{cluster}', currentDatabase(), dwell_local, cityHash64(imsi));

CREATE TABLE IF NOT EXISTS region_minute_local ON CLUSTER '{cluster}'
(
    region     LowCardinality(String) CODEC(ZSTD(1)),
    minute_ts  DateTime('UTC')        CODEC(DoubleDelta, ZSTD(1)),
    occupancy  UInt32                 CODEC(T64, ZSTD(1)),
    inflow     UInt32                 CODEC(T64, ZSTD(1)),
    outflow    UInt32                 CODEC(T64, ZSTD(1)),
    roamers    UInt32                 CODEC(T64, ZSTD(1)),
    exit_dwell Array(UInt32)          CODEC(ZSTD(1))
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')
PARTITION BY toYYYYMM(minute_ts)
ORDER BY (region, minute_ts)
TTL minute_ts + INTERVAL 730 DAY
SETTINGS replicated_deduplication_window = 1000, ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS region_minute ON CLUSTER '{cluster}' AS region_minute_local
ENGINE = Distributed('{cluster}', currentDatabase(), region_minute_local, cityHash64(region));

CREATE TABLE IF NOT EXISTS events_local ON CLUSTER '{cluster}'
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
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')
PARTITION BY toYYYYMMDD(ts)
ORDER BY (kind, lac, ci, ts)
TTL ts + INTERVAL 90 DAY
SETTINGS replicated_deduplication_window = 1000, ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS events ON CLUSTER '{cluster}' AS events_local
ENGINE = Distributed('{cluster}', currentDatabase(), events_local, cityHash64(imsi));

CREATE TABLE IF NOT EXISTS triggers_local ON CLUSTER '{cluster}'
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
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')
PARTITION BY toYYYYMM(ts)
ORDER BY (rule, region, ts)
TTL ts + INTERVAL 180 DAY
SETTINGS replicated_deduplication_window = 1000, ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS triggers ON CLUSTER '{cluster}' AS triggers_local
ENGINE = Distributed('{cluster}', currentDatabase(), triggers_local, cityHash64(imsi));

CREATE TABLE IF NOT EXISTS subscribers_local ON CLUSTER '{cluster}'
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
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', last_seen)
ORDER BY imsi
TTL last_seen + INTERVAL 90 DAY
SETTINGS replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS subscribers ON CLUSTER '{cluster}' AS subscribers_local
ENGINE = Distributed('{cluster}', currentDatabase(), subscribers_local, cityHash64(imsi));

-- Reference tables (see schema.sql): small, so every replica of every shard
-- keeps all of them (one replication path for the whole cluster, no
-- Distributed table); queries join the local copy.

CREATE TABLE IF NOT EXISTS regions ON CLUSTER '{cluster}'
(
    region LowCardinality(String),
    kind   LowCardinality(String),
    lac    UInt16,
    ci     UInt16
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/all/{database}/{table}', '{replica}')
ORDER BY (region, lac, ci);

CREATE TABLE IF NOT EXISTS groups ON CLUSTER '{cluster}'
(
    name     String,
    region   LowCardinality(String),
    workdays String,
    start    String,
    end      String,
    timezone String,
    calendar String
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/all/{database}/{table}', '{replica}')
ORDER BY name;

CREATE TABLE IF NOT EXISTS calendar_days ON CLUSTER '{cluster}'
(
    calendar LowCardinality(String),
    day      Date,
    kind     LowCardinality(String),
    name     String
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/all/{database}/{table}', '{replica}')
ORDER BY (calendar, day);

CREATE TABLE IF NOT EXISTS number_prefixes ON CLUSTER '{cluster}'
(
    prefix String,
    area   String
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/all/{database}/{table}', '{replica}')
ORDER BY prefix;

CREATE TABLE IF NOT EXISTS group_members ON CLUSTER '{cluster}'
(
    group_name LowCardinality(String),
    month      Date,
    imsi       String
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/all/{database}/{table}', '{replica}')
ORDER BY (group_name, month, imsi);
