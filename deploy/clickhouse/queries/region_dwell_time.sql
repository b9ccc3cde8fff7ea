-- region_dwell_time: how long people stay in a region per day.
--
-- Answers: for each day in [{from}, {to}], over the subscribers who were in
-- {region} that day (all of them, or only {group}'s whitelisted members when
-- {group} is not empty): how many, and the mean, median and 90th percentile
-- of the hours each spent in the region that day (dwell intervals in the
-- region's cells clipped to the day and summed).
--
-- Parameters:
--   {region:String}           region name (regions)
--   {group:String}            '' for everyone, else a group in group_members
--   {from:Date}, {to:Date}    period, whole UTC days, inclusive
-- Tables: dwell, regions, group_members.
-- Time columns are read through toInt64(): the schema may store unix
-- seconds as Int64 or as DateTime('UTC').
WITH
    toInt64(toUnixTimestamp(toDateTime({from:Date}, 'UTC'))) AS t0,
    toInt64(toUnixTimestamp(toDateTime({to:Date} + 1, 'UTC'))) AS t1,
per_day AS (
    SELECT imsi, toDate(toDateTime(d * 86400, 'UTC')) AS day,
           sum(least(end_ts, (d + 1) * 86400) - greatest(start_ts, d * 86400)) AS secs
    FROM (SELECT imsi, msisdn, lac, ci, toInt64(start_ts) AS start_ts, toInt64(end_ts) AS end_ts, roamer, reason FROM dwell)
    ARRAY JOIN range(intDiv(greatest(start_ts, t0), 86400), intDiv(greatest(least(end_ts, t1) - 1, greatest(start_ts, t0)), 86400) + 1) AS d
    WHERE (lac, ci) IN (SELECT lac, ci FROM regions WHERE region = {region:String})
      AND end_ts > t0 AND start_ts < t1 AND end_ts > start_ts
      AND ({group:String} = '' OR imsi IN (
            SELECT imsi FROM group_members
            WHERE group_name = {group:String} AND month >= toStartOfMonth({from:Date}) AND month <= {to:Date}))
    GROUP BY imsi, day
)
SELECT day,
       count() AS subscribers,
       round(avg(secs) / 3600, 2) AS mean_hours,
       round(quantileExact(0.5)(secs) / 3600, 2) AS median_hours,
       round(quantileExact(0.9)(secs) / 3600, 2) AS p90_hours
FROM per_day
GROUP BY day
ORDER BY day
