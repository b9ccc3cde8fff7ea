-- card_farm: suspected SIM farms (SIM boxes).
--
-- Answers: SIMs first seen in [{from}, {to}] in the same cell as at least
-- {min_sims} - 1 others within {window_s} seconds (before or after), that
-- then almost never call or text themselves (at most {max_mo_per_day}
-- mobile-originated calls and SMS per day; a farm's SIMs receive traffic but
-- originate little on the network, their real traffic leaves by other means). One row per SIM with its first cell and time, the
-- size of the burst it arrived in, its handset TAC and activity; ordered by
-- cell and first time, so a farm shows as a block of rows.
--
-- Parameters:
--   {from:Date}, {to:Date}          period, whole UTC days, inclusive
--   {window_s:UInt32}               600
--   {min_sims:UInt32}               10
--   {max_mo_per_day:Float64}        0.5
-- Tables: dwell, events, subscribers. (Subscribers already attached when the
-- probe starts are first seen in its first hours: start {from} after that.)
-- Time columns are read through toInt64(): the schema may store unix
-- seconds as Int64 or as DateTime('UTC').
WITH
    toInt64(toUnixTimestamp(toDateTime({from:Date}, 'UTC'))) AS t0,
    toInt64(toUnixTimestamp(toDateTime({to:Date} + 1, 'UTC'))) AS t1,
firsts AS (
    SELECT imsi, argMin(lac, start_ts) AS lac, argMin(ci, start_ts) AS ci,
           min(start_ts) AS first_ts, max(end_ts) AS last_ts
    FROM (SELECT imsi, msisdn, lac, ci, toInt64(start_ts) AS start_ts, toInt64(end_ts) AS end_ts, roamer, reason FROM dwell)
    GROUP BY imsi
    HAVING first_ts >= t0 AND first_ts < t1
),
bursts AS (
    SELECT *,
           count() OVER (PARTITION BY lac, ci ORDER BY first_ts
                         RANGE BETWEEN {window_s:UInt32} PRECEDING AND {window_s:UInt32} FOLLOWING) AS burst
    FROM firsts
),
activity AS (
    SELECT imsi, count() AS n FROM (SELECT toInt64(ts) AS ts, imsi, msisdn, kind, lac, ci, peer, roamer FROM events)
    WHERE kind IN ('call_mo', 'sms_mo') AND imsi IN (SELECT imsi FROM bursts WHERE burst >= {min_sims:UInt32})
    GROUP BY imsi
)
SELECT b.imsi AS imsi, s.msisdn AS msisdn, substring(s.imei, 1, 8) AS tac, b.lac AS lac, b.ci AS ci,
       toDateTime(b.first_ts, 'UTC') AS first_seen, b.burst AS burst,
       round((b.last_ts - b.first_ts) / 86400, 2) AS days_seen,
       a.n AS mo_calls_sms,
       round(a.n / greatest((b.last_ts - b.first_ts) / 86400, 1), 3) AS mo_per_day
FROM bursts AS b
LEFT JOIN activity AS a ON a.imsi = b.imsi
LEFT JOIN (SELECT imsi, any(msisdn) AS msisdn, any(imei) AS imei FROM subscribers GROUP BY imsi) AS s ON s.imsi = b.imsi
WHERE b.burst >= {min_sims:UInt32} AND mo_per_day <= {max_mo_per_day:Float64}
ORDER BY lac, ci, first_seen, imsi
