-- group_whitelist: who works for a group (enterprise), for one month.
--
-- Answers: the IMSIs (with MSISDN) judged to be members of {group}, one row
-- each, ordered by imsi, with the evidence: presence days, the threshold and
-- the k used, nights and days off seen in the region, and the share of the
-- subscriber's distinct on-net peers who are other candidates (peer_share)
-- against what calling at random would give (peer_lift).
--
-- Method (sink/whitelist implements the same in Go; keep them in step):
--  1. Slots: hourly slots anchored at the group's start time (08:30, 09:30,
--     ... for 08:30-17:30). A subscriber is present in a slot in a cell when
--     a dwell interval in that cell of the region overlaps the slot.
--  2. Home cells: region cells where the subscriber is on {home_nights} or
--     more nights (a slot starting 02:00-04:59). People who live in the
--     region are at home there; presence in a home cell is not work.
--  3. Presence day: a working day (groups.workdays) with {min_slots} or more
--     slots between start and end present in a non-home cell of the region.
--     Days off with as many such slots count as offdays.
--  4. Seed: presence days >= days_in_month * k - rest_days (rest_days: the
--     month's non-working days for the group). k = {k} when > 0; otherwise
--     calibrated on the known members: the largest k at which a share
--     {known_pass} of them pass, lowered by {k_margin} because a small sample
--     does not show the lower tail (part-timers with home-working days).
--  5. Second filter, location: drop those who also come on days off
--     (offdays > {max_offdays}); living in or next to the region and short
--     visits are already out by steps 2 and 3.
--  6. Second filter, call graph (when {call_graph} = 1): members call and
--     text each other. peer_share = the share of a candidate's distinct
--     on-net peers (event peers that are numbers in subscribers) who are
--     candidates or known members;
--     peer_lift = peer_share / (candidates' numbers / all numbers), i.e. 1
--     for someone who calls at random. Keep peer_lift >= {min_peer_lift}.
--
-- Parameters (defaults used by `sigprobe whitelist`):
--   {group:String}            group name in the groups table
--   {month:Date}              any day of the month
--   {known:Array(String)}     IMSIs or MSISDNs of known members ([] for none)
--   {k:Float64}               0 to calibrate on {known} (0.6 when {known} is empty)
--   {k_margin:Float64}        0.2
--   {known_pass:Float64}      0.9
--   {min_slots:UInt8}         3
--   {home_nights:UInt16}      5
--   {max_offdays:UInt16}      3
--   {call_graph:UInt8}        1
--   {min_peer_lift:Float64}   4
-- Times are UTC. Tables: dwell, events, subscribers, regions, groups.
-- Time columns are read through toInt64(): the schema may store unix
-- seconds as Int64 or as DateTime('UTC').
WITH
    toStartOfMonth({month:Date}) AS m_day,
    toInt64(toUnixTimestamp(toDateTime(m_day, 'UTC'))) AS m0,
    toInt64(toUnixTimestamp(toDateTime(addMonths(m_day, 1), 'UTC'))) AS m1,
    toInt64(toDayOfMonth(toLastDayOfMonth(m_day))) AS n_days,
    (SELECT (region, workdays, start, end) FROM groups WHERE name = {group:String} LIMIT 1) AS g,
    g.1 AS g_region,
    ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] AS day_names,
    -- working weekdays, 0 = Sunday: "mon-fri" or "mon,wed,fri" (ranges may wrap)
    arrayDistinct(arrayFlatten(arrayMap(p -> arrayMap(
            x -> (indexOf(day_names, trim(splitByChar('-', p)[1])) - 1 + x) % 7,
            range(toUInt64((indexOf(day_names, trim(splitByChar('-', p)[-1])) - indexOf(day_names, trim(splitByChar('-', p)[1])) + 7) % 7 + 1))),
        splitByChar(',', lower(g.2))))) AS wdays,
    toInt64(splitByChar(':', g.3)[1]) * 3600 + toInt64(splitByChar(':', g.3)[2]) * 60 AS g_start,
    toInt64(splitByChar(':', g.4)[1]) * 3600 + toInt64(splitByChar(':', g.4)[2]) * 60 AS g_end,
    n_days - arrayCount(i -> has(wdays, toDayOfWeek(m_day + i) % 7), range(toUInt64(n_days))) AS rest_days,
    g_start % 3600 AS phase,
slot_hits AS (
    -- (subscriber, cell, hourly slot) with presence in the region
    SELECT DISTINCT imsi, lac, ci, s * 3600 + phase AS slot_ts,
           toDate(toDateTime(slot_ts, 'UTC')) AS day,
           slot_ts - toInt64(toUnixTimestamp(toDateTime(day, 'UTC'))) AS sec
    FROM (SELECT imsi, msisdn, lac, ci, toInt64(start_ts) AS start_ts, toInt64(end_ts) AS end_ts, roamer, reason FROM dwell)
    ARRAY JOIN range(intDiv(greatest(start_ts, m0) - phase, 3600), intDiv(least(end_ts, m1) - 1 - phase, 3600) + 1) AS s
    WHERE (lac, ci) IN (SELECT lac, ci FROM regions WHERE region = g_region)
      AND end_ts > m0 AND start_ts < m1 AND end_ts > start_ts
),
homes AS (
    SELECT imsi, lac, ci
    FROM slot_hits
    WHERE sec >= 2 * 3600 AND sec < 5 * 3600
    GROUP BY imsi, lac, ci
    HAVING uniqExact(day) >= {home_nights:UInt16}
),
days AS (
    SELECT h.imsi AS imsi, h.day AS day, has(wdays, toDayOfWeek(h.day) % 7) AS work,
           uniqExactIf(h.slot_ts, h.sec >= g_start AND h.sec < g_end AND hm.imsi = '') AS nslots,
           countIf(h.sec >= 2 * 3600 AND h.sec < 5 * 3600) > 0 AS night
    FROM slot_hits AS h
    LEFT JOIN homes AS hm ON hm.imsi = h.imsi AND hm.lac = h.lac AND hm.ci = h.ci
    GROUP BY imsi, day
),
feats AS (
    SELECT imsi,
           countIf(work AND nslots >= {min_slots:UInt8}) AS pdays,
           countIf(NOT work AND nslots >= {min_slots:UInt8}) AS offdays,
           countIf(night) AS nights
    FROM days
    GROUP BY imsi
),
known_imsis AS (
    SELECT DISTINCT imsi FROM (
        SELECT imsi FROM subscribers WHERE has({known:Array(String)}, imsi) OR has({known:Array(String)}, msisdn)
        UNION ALL
        SELECT arrayJoin({known:Array(String)}) AS imsi
    )
    WHERE imsi IN (SELECT imsi FROM subscribers) OR imsi IN (SELECT imsi FROM feats)
),
calib AS (
    SELECT
        arraySort(groupArray((toFloat64(f.pdays) + rest_days) / n_days)) AS vals,
        length(vals) AS n_known,
        if({k:Float64} > 0, {k:Float64},
           if(n_known = 0, 0.6,
              vals[toUInt64(n_known - ceil({known_pass:Float64} * n_known - 1e-9)) + 1] - {k_margin:Float64})) AS k_used,
        n_days * k_used - rest_days AS threshold
    FROM known_imsis AS kn LEFT JOIN feats AS f ON f.imsi = kn.imsi
),
cands AS (
    SELECT f.imsi AS imsi, pdays, offdays, nights, threshold, k_used
    FROM feats AS f CROSS JOIN calib
    WHERE pdays >= threshold - 1e-9
      AND offdays <= {max_offdays:UInt16}
),
numbers AS (
    SELECT DISTINCT msisdn FROM subscribers
    WHERE msisdn != '' AND (imsi IN (SELECT imsi FROM cands) OR imsi IN (SELECT imsi FROM known_imsis))
),
graph AS (
    SELECT imsi,
           uniqExact(peer) AS peers,
           uniqExactIf(peer, peer IN (SELECT msisdn FROM numbers)) / peers AS peer_share,
           peer_share * (SELECT uniqExact(msisdn) FROM subscribers WHERE msisdn != '')
               / greatest((SELECT count() FROM numbers), 1) AS peer_lift
    FROM (SELECT toInt64(ts) AS ts, imsi, msisdn, kind, lac, ci, peer, roamer FROM events)
    WHERE ts >= m0 AND ts < m1 AND peer != '' AND imsi IN (SELECT imsi FROM cands)
      AND peer IN (SELECT msisdn FROM subscribers) -- on-net peers only
    GROUP BY imsi
)
SELECT c.imsi AS imsi, s.msisdn AS msisdn, c.pdays AS presence_days, round(c.threshold, 3) AS threshold,
       round(c.k_used, 4) AS k, c.nights AS nights, c.offdays AS offdays,
       round(gr.peer_share, 4) AS peer_share, round(gr.peer_lift, 3) AS peer_lift
FROM cands AS c
LEFT JOIN (SELECT imsi, any(msisdn) AS msisdn FROM subscribers GROUP BY imsi) AS s ON s.imsi = c.imsi
LEFT JOIN graph AS gr ON gr.imsi = c.imsi
WHERE {call_graph:UInt8} = 0 OR gr.peer_lift >= {min_peer_lift:Float64} - 1e-9
ORDER BY imsi
