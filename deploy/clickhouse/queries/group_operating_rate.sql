-- group_operating_rate: a group's daily operating rate.
--
-- Answers: for each working day of {group} in the month (its weekdays and
-- make-up working days, not its holidays: groups.calendar), how many of its
-- whitelisted members (group_members for that month) were present in the
-- group's region for at least {min_minutes} minutes between the group's start
-- and end, and that share of the members: the operating rate. Days, hours
-- and the month are in the group's time zone (groups.timezone).
--
-- Parameters:
--   {group:String}        group name (groups, group_members)
--   {month:Date}          any day of the month
--   {min_minutes:UInt16}  60
-- Tables: dwell, regions, groups, calendar_days, group_members.
-- Time columns are read through toInt64(): the schema may store unix
-- seconds as Int64 or as DateTime('UTC').
WITH
    (SELECT (region, workdays, start, end, timezone, calendar) FROM groups WHERE name = {group:String} LIMIT 1) AS g,
    g.5 AS tz,
    toStartOfMonth({month:Date}) AS m_day,
    toInt64(toUnixTimestamp(toDateTime(m_day, tz))) AS m0,
    toInt64(toUnixTimestamp(toDateTime(addMonths(m_day, 1), tz))) AS m1,
    (SELECT groupArrayIf(day, kind = 'holiday') FROM calendar_days
     WHERE calendar != '' AND calendar = (SELECT calendar FROM groups WHERE name = {group:String} LIMIT 1)) AS holidays,
    (SELECT groupArrayIf(day, kind = 'workday') FROM calendar_days
     WHERE calendar != '' AND calendar = (SELECT calendar FROM groups WHERE name = {group:String} LIMIT 1)) AS makeups,
    ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] AS day_names,
    arrayDistinct(arrayFlatten(arrayMap(p -> arrayMap(
            x -> (indexOf(day_names, trim(splitByChar('-', p)[1])) - 1 + x) % 7,
            range(toUInt64((indexOf(day_names, trim(splitByChar('-', p)[-1])) - indexOf(day_names, trim(splitByChar('-', p)[1])) + 7) % 7 + 1))),
        splitByChar(',', lower(g.2))))) AS wdays,
    toInt64(splitByChar(':', g.3)[1]) * 3600 + toInt64(splitByChar(':', g.3)[2]) * 60 AS g_start,
    toInt64(splitByChar(':', g.4)[1]) * 3600 + toInt64(splitByChar(':', g.4)[2]) * 60 AS g_end,
members AS (
    SELECT DISTINCT imsi FROM group_members WHERE group_name = {group:String} AND month = m_day
),
workdays AS (
    -- d0: the day's local midnight (the hours below are local too)
    SELECT m_day + number AS day, toInt64(toUnixTimestamp(toDateTime(day, tz))) AS d0
    FROM numbers(toUInt64(dateDiff('day', m_day, addMonths(m_day, 1))))
    WHERE (has(wdays, toDayOfWeek(day) % 7) AND NOT has(holidays, day)) OR has(makeups, day)
),
presence AS (
    -- seconds in the region within working hours, per member and day
    SELECT imsi, day, sum(greatest(least(end_ts, d0 + g_end) - greatest(start_ts, d0 + g_start), 0)) AS secs
    FROM (
        SELECT imsi, start_ts, end_ts FROM (SELECT imsi, msisdn, lac, ci, toInt64(start_ts) AS start_ts, toInt64(end_ts) AS end_ts, roamer, reason FROM dwell)
        WHERE (lac, ci) IN (SELECT lac, ci FROM regions WHERE region = g.1)
          AND imsi IN (SELECT imsi FROM members) AND end_ts > m0 AND start_ts < m1
    ) AS d
    CROSS JOIN workdays AS w
    WHERE d.end_ts > w.d0 + g_start AND d.start_ts < w.d0 + g_end
    GROUP BY imsi, day
)
SELECT w.day AS day,
       (SELECT count() FROM members) AS members,
       countIf(p.secs >= {min_minutes:UInt16} * 60) AS present,
       round(present / greatest(members, 1), 4) AS operating_rate
FROM workdays AS w
LEFT JOIN presence AS p ON p.day = w.day
GROUP BY w.day
ORDER BY day
