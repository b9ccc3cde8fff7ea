-- group_whitelist: the features of a group's whitelist for one month.
--
-- Answers: for every subscriber of the pool — present in the group's region
-- in its working hours on at least one day, or known — its presence days,
-- days off in the region, nights, and its distinct on-net call peers (all,
-- and those in the pool); then one row with imsi = '' holding the month's
-- facts. `sigprobe whitelist --dsn` runs this query and the selection of
-- analysis/whitelist (calibrating k, growing the membership from the known
-- members through the call graph); `--data` computes the same rows from
-- Parquet files (a chDB test checks that they are equal). The method and its
-- measured effect: deploy/clickhouse/queries/whitelist.md.
--
-- Method (analysis/whitelist/features.go implements the same; keep them in step):
--  1. Local time: every instant t is put on the group's local axis,
--     t + the zone's offset at t (groups.timezone); local days start at
--     multiples of 86400 there.
--  2. Slots: hourly slots anchored at the group's start time (08:30, 09:30,
--     ... for 08:30-17:30). A subscriber is present in a slot in a cell when
--     a dwell interval in that cell of the region overlaps the slot.
--  3. Home cells: region cells where the subscriber is on {home_nights} or
--     more nights (a slot starting 02:00-04:59 local).
--  4. Presence day: a working day with {min_slots} or more slots between
--     start and end in a non-home cell of the region; a rest day with as
--     many is a day off in the region (offdays). Working day: the weekday is
--     in groups.workdays and the date is not a holiday of the group's
--     calendar, or the date is one of its make-up working days.
--  5. Calls: on-net peers (an event's peer is an MSISDN in subscribers) of
--     calls in the group's working hours on working days, both directions,
--     as IMSIs: degree = distinct peers, peers = those in the pool.
--
-- Parameters (defaults used by `sigprobe whitelist`):
--   {group:String}            group name in the groups table
--   {month:Date}              any day of the month
--   {known:Array(String)}     IMSIs or MSISDNs of known members ([] for none)
--   {min_slots:UInt8}         3
--   {home_nights:UInt16}      5
-- Tables: dwell, events, subscribers, regions, groups, calendar_days.
-- Time columns are read through toInt64(): the schema may store unix
-- seconds as Int64 or as DateTime('UTC').
WITH
    (SELECT (region, workdays, start, end, timezone, calendar) FROM groups WHERE name = {group:String} LIMIT 1) AS g,
    g.1 AS g_region,
    g.5 AS tz,
    toStartOfMonth({month:Date}) AS m_day,
    toInt64(toUnixTimestamp(toDateTime(m_day, tz))) AS m0,
    toInt64(toUnixTimestamp(toDateTime(addMonths(m_day, 1), tz))) AS m1,
    toInt64(toDayOfMonth(toLastDayOfMonth(m_day))) AS n_days,
    ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] AS day_names,
    -- working weekdays, 0 = Sunday: "mon-fri" or "mon,wed,fri" (ranges may wrap)
    arrayDistinct(arrayFlatten(arrayMap(p -> arrayMap(
            x -> (indexOf(day_names, trim(splitByChar('-', p)[1])) - 1 + x) % 7,
            range(toUInt64((indexOf(day_names, trim(splitByChar('-', p)[-1])) - indexOf(day_names, trim(splitByChar('-', p)[1])) + 7) % 7 + 1))),
        splitByChar(',', lower(g.2))))) AS wdays,
    toInt64(splitByChar(':', g.3)[1]) * 3600 + toInt64(splitByChar(':', g.3)[2]) * 60 AS g_start,
    toInt64(splitByChar(':', g.4)[1]) * 3600 + toInt64(splitByChar(':', g.4)[2]) * 60 AS g_end,
    (SELECT groupArrayIf(day, kind = 'holiday') FROM calendar_days
     WHERE calendar != '' AND calendar = (SELECT calendar FROM groups WHERE name = {group:String} LIMIT 1)) AS holidays,
    (SELECT groupArrayIf(day, kind = 'workday') FROM calendar_days
     WHERE calendar != '' AND calendar = (SELECT calendar FROM groups WHERE name = {group:String} LIMIT 1)) AS makeups,
    n_days - arrayCount(i -> (has(wdays, toDayOfWeek(m_day + i) % 7) AND NOT has(holidays, m_day + i)) OR has(makeups, m_day + i),
        range(toUInt64(n_days))) AS rest_days,
    g_start % 3600 AS phase,
    (SELECT count() FROM groups WHERE region = g_region) AS sharing,
    (SELECT uniqExact(d) FROM (
        SELECT greatest(toInt64(start_ts), m0) AS a, least(toInt64(end_ts), m1) - 1 AS b,
               a + timeZoneOffset(toDateTime(a, tz)) AS la, b + timeZoneOffset(toDateTime(b, tz)) AS lb
        FROM dwell
        WHERE toInt64(end_ts) > m0 AND toInt64(start_ts) < m1 AND toInt64(end_ts) > toInt64(start_ts))
     ARRAY JOIN range(intDiv(la, 86400), intDiv(lb, 86400) + 1) AS d) AS data_days,
slot_hits AS (
    -- (subscriber, cell, hourly slot on the local axis) with presence in the region
    SELECT DISTINCT imsi, lac, ci, s * 3600 + phase AS slot_l,
           intDiv(slot_l, 86400) * 86400 AS day_l,
           slot_l - day_l AS sec
    FROM (
        SELECT imsi, lac, ci,
               greatest(toInt64(start_ts), m0) AS a, least(toInt64(end_ts), m1) - 1 AS b,
               a + timeZoneOffset(toDateTime(a, tz)) AS la, b + timeZoneOffset(toDateTime(b, tz)) AS lb
        FROM dwell
        WHERE (lac, ci) IN (SELECT lac, ci FROM regions WHERE region = g_region)
          AND toInt64(end_ts) > m0 AND toInt64(start_ts) < m1 AND toInt64(end_ts) > toInt64(start_ts))
    ARRAY JOIN range(intDiv(la - phase, 3600), intDiv(lb - phase, 3600) + 1) AS s
),
homes AS (
    SELECT imsi, lac, ci
    FROM slot_hits
    WHERE sec >= 2 * 3600 AND sec < 5 * 3600
    GROUP BY imsi, lac, ci
    HAVING uniqExact(day_l) >= {home_nights:UInt16}
),
days AS (
    SELECT h.imsi AS imsi, h.day_l AS day_l, toDate(toDateTime(h.day_l, 'UTC')) AS d,
           (has(wdays, toDayOfWeek(d) % 7) AND NOT has(holidays, d)) OR has(makeups, d) AS work,
           uniqExactIf(h.slot_l, h.sec >= g_start AND h.sec < g_end AND hm.imsi = '') AS nslots,
           countIf(h.sec >= 2 * 3600 AND h.sec < 5 * 3600) > 0 AS night
    FROM slot_hits AS h
    LEFT JOIN homes AS hm ON hm.imsi = h.imsi AND hm.lac = h.lac AND hm.ci = h.ci
    GROUP BY imsi, day_l
),
feats AS (
    SELECT imsi,
           countIf(work AND nslots >= {min_slots:UInt8}) AS pdays,
           countIf(NOT work AND nslots >= {min_slots:UInt8}) AS offdays,
           countIf(night) AS nights
    FROM days
    GROUP BY imsi
),
subs AS (
    SELECT imsi, max(msisdn) AS msisdn FROM subscribers GROUP BY imsi
),
owner AS (
    -- number -> IMSI (the smallest, should two share a number)
    SELECT msisdn, min(imsi) AS imsi FROM subs WHERE msisdn != '' GROUP BY msisdn
),
known_imsis AS (
    SELECT DISTINCT imsi FROM (
        SELECT if(kk.k IN (SELECT imsi FROM subs) OR kk.k IN (SELECT imsi FROM slot_hits), kk.k, o.imsi) AS imsi
        FROM (SELECT arrayJoin({known:Array(String)}) AS k) AS kk
        LEFT JOIN owner AS o ON o.msisdn = kk.k
    )
    WHERE imsi != ''
),
pool AS (
    SELECT imsi FROM feats WHERE pdays + offdays > 0
    UNION DISTINCT
    SELECT imsi FROM known_imsis
),
calls AS (
    SELECT e.imsi AS a, o.imsi AS b
    FROM (
        SELECT imsi, toInt64(ts) AS t, peer, t + timeZoneOffset(toDateTime(t, tz)) AS l,
               toDate(toDateTime(intDiv(l, 86400) * 86400, 'UTC')) AS d, l - intDiv(l, 86400) * 86400 AS sec
        FROM events
        WHERE toInt64(ts) >= m0 AND toInt64(ts) < m1 AND peer != ''
    ) AS e
    INNER JOIN owner AS o ON o.msisdn = e.peer
    WHERE o.imsi != e.imsi
      AND e.sec >= g_start AND e.sec < g_end
      AND ((has(wdays, toDayOfWeek(e.d) % 7) AND NOT has(holidays, e.d)) OR has(makeups, e.d))
      AND (e.imsi IN (SELECT imsi FROM pool) OR o.imsi IN (SELECT imsi FROM pool))
),
edges AS (
    -- both directions (distinct names: an alias is visible in its own SELECT)
    SELECT DISTINCT x AS a, y AS b FROM (SELECT a AS x, b AS y FROM calls UNION ALL SELECT b AS x, a AS y FROM calls)
),
graph AS (
    SELECT a AS imsi, count() AS degree, arraySort(groupArrayIf(b, b IN (SELECT imsi FROM pool))) AS peers
    FROM edges
    WHERE a IN (SELECT imsi FROM pool)
    GROUP BY a
)
SELECT * FROM (
SELECT p.imsi AS imsi, s.msisdn AS msisdn, toInt64(p.imsi IN (SELECT imsi FROM known_imsis)) AS known,
       toInt64(f.pdays) AS pdays, toInt64(f.offdays) AS offdays, toInt64(f.nights) AS nights,
       toInt64(gr.degree) AS degree, gr.peers AS peers,
       toInt64(n_days) AS days, toInt64(rest_days) AS rest, toInt64(data_days) AS data,
       toInt64((SELECT count() FROM owner)) AS numbers, toInt64(sharing) AS groups_in_region
FROM pool AS p
LEFT JOIN feats AS f ON f.imsi = p.imsi
LEFT JOIN subs AS s ON s.imsi = p.imsi
LEFT JOIN graph AS gr ON gr.imsi = p.imsi
UNION ALL
SELECT '' AS imsi, '' AS msisdn, toInt64(0) AS known, toInt64(0) AS pdays, toInt64(0) AS offdays, toInt64(0) AS nights,
       toInt64(0) AS degree, CAST([], 'Array(String)') AS peers,
       toInt64(n_days) AS days, toInt64(rest_days) AS rest, toInt64(data_days) AS data,
       toInt64((SELECT count() FROM owner)) AS numbers, toInt64(sharing) AS groups_in_region
)
ORDER BY imsi
