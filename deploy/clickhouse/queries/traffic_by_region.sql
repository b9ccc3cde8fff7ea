-- traffic_by_region: calls and SMS per region and hour of the day.
--
-- Answers: for each region and hour of the day (0-23, UTC) over
-- [{from}, {to}]: mobile-originated and -terminated call attempts and SMS
-- made in the region's cells, in total and per day of the period, and the
-- distinct subscribers behind them. A cell in several regions counts in each.
--
-- Parameters:
--   {from:Date}, {to:Date}   period, whole UTC days, inclusive
-- Tables: events, regions.
-- Time columns are read through toInt64(): the schema may store unix
-- seconds as Int64 or as DateTime('UTC').
WITH
    toInt64(toUnixTimestamp(toDateTime({from:Date}, 'UTC'))) AS t0,
    toInt64(toUnixTimestamp(toDateTime({to:Date} + 1, 'UTC'))) AS t1,
    dateDiff('day', {from:Date}, {to:Date}) + 1 AS n_days
SELECT r.region AS region, toHour(toDateTime(e.ts, 'UTC')) AS hour,
       countIf(e.kind = 'call_mo') AS calls_mo,
       countIf(e.kind = 'call_mt') AS calls_mt,
       countIf(e.kind = 'sms_mo') AS sms_mo,
       countIf(e.kind = 'sms_mt') AS sms_mt,
       round((calls_mo + calls_mt) / n_days, 2) AS calls_per_day,
       round((sms_mo + sms_mt) / n_days, 2) AS sms_per_day,
       uniqExact(e.imsi) AS subscribers
FROM (SELECT toInt64(ts) AS ts, imsi, msisdn, kind, lac, ci, peer, roamer FROM events) AS e
INNER JOIN regions AS r ON r.lac = e.lac AND r.ci = e.ci
WHERE e.ts >= t0 AND e.ts < t1 AND e.kind IN ('call_mo', 'call_mt', 'sms_mo', 'sms_mt')
GROUP BY region, hour
ORDER BY region, hour
