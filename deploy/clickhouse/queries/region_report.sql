-- region_report: a micro-region hour by hour.
--
-- Answers: for each hour in [{from}, {to}] (whole UTC days), how many
-- subscribers were in {region} (occupancy: a visit overlapping the hour),
-- of them inbound roamers, how many entered (inflow) and left (outflow) in
-- the hour, and how long the visits that ended in the hour lasted: counts in
-- the probe's dwell buckets (<= 5 min, 15 min, 30 min, 1 h, 2 h, 4 h, 8 h,
-- longer; the same bounds as region_minute.exit_dwell) and the median.
-- A visit is a run of dwell intervals in the region's cells with gaps of at
-- most {max_gap_s} seconds; one that ends when the data ends counts as
-- leaving then.
--
-- Parameters:
--   {region:String}      region name in the regions table
--   {from:Date}          first day
--   {to:Date}            last day (inclusive)
--   {max_gap_s:UInt32}   60
-- Tables: dwell, regions. (The probe's region_minute table holds the same
-- counters per minute when the tracking pipeline writes it.)
-- Time columns are read through toInt64(): the schema may store unix
-- seconds as Int64 or as DateTime('UTC').
WITH
    toInt64(toUnixTimestamp(toDateTime({from:Date}, 'UTC'))) AS t0,
    toInt64(toUnixTimestamp(toDateTime({to:Date} + 1, 'UTC'))) AS t1,
r AS (
    SELECT imsi, start_ts, end_ts, roamer
    FROM (SELECT imsi, msisdn, lac, ci, toInt64(start_ts) AS start_ts, toInt64(end_ts) AS end_ts, roamer, reason FROM dwell)
    WHERE (lac, ci) IN (SELECT lac, ci FROM regions WHERE region = {region:String})
      AND end_ts > t0 - 7 * 86400 AND start_ts < t1 AND end_ts >= start_ts
),
marked AS (
    SELECT imsi, start_ts, end_ts, roamer,
           start_ts > max(end_ts) OVER (PARTITION BY imsi ORDER BY start_ts, end_ts
                                        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) + {max_gap_s:UInt32}
               AS new_visit
    FROM r
),
visits AS (
    SELECT imsi, visit, min(start_ts) AS v_start, max(end_ts) AS v_end, any(roamer) AS roamer
    FROM (SELECT *, sum(new_visit) OVER (PARTITION BY imsi ORDER BY start_ts, end_ts ROWS UNBOUNDED PRECEDING) AS visit FROM marked)
    GROUP BY imsi, visit
),
hourly AS (
    SELECT h * 3600 AS hour_ts, imsi, roamer, 'occ' AS what, 0 AS dur
    FROM visits
    ARRAY JOIN range(intDiv(greatest(v_start, t0), 3600), intDiv(greatest(least(v_end, t1) - 1, v_start), 3600) + 1) AS h
    WHERE v_end > t0 OR v_start >= t0
    UNION ALL
    SELECT intDiv(v_start, 3600) * 3600, imsi, roamer, 'in', 0 FROM visits WHERE v_start >= t0 AND v_start < t1
    UNION ALL
    SELECT intDiv(v_end, 3600) * 3600, imsi, roamer, 'out', v_end - v_start FROM visits WHERE v_end >= t0 AND v_end < t1
)
SELECT toDateTime(hour_ts, 'UTC') AS hour,
       uniqExactIf(imsi, what = 'occ') AS occupancy,
       uniqExactIf(imsi, what = 'occ' AND roamer) AS roamers,
       countIf(what = 'in') AS inflow,
       countIf(what = 'out') AS outflow,
       [countIf(what = 'out' AND dur <= 300),
        countIf(what = 'out' AND dur > 300 AND dur <= 900),
        countIf(what = 'out' AND dur > 900 AND dur <= 1800),
        countIf(what = 'out' AND dur > 1800 AND dur <= 3600),
        countIf(what = 'out' AND dur > 3600 AND dur <= 7200),
        countIf(what = 'out' AND dur > 7200 AND dur <= 14400),
        countIf(what = 'out' AND dur > 14400 AND dur <= 28800),
        countIf(what = 'out' AND dur > 28800)] AS exit_dwell,
       toInt64(if(countIf(what = 'out') = 0, 0, quantileExactIf(0.5)(dur, what = 'out'))) AS median_exit_dwell_s
FROM hourly
WHERE hour_ts >= t0 AND hour_ts < t1
GROUP BY hour_ts
ORDER BY hour WITH FILL FROM toDateTime(t0, 'UTC') TO toDateTime(t1, 'UTC') STEP 3600
