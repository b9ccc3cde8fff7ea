-- group_reachable: a group's daily reachable members.
--
-- Answers: for each day of the month, how many of {group}'s whitelisted
-- members (group_members) were reachable, i.e. attached to the network at some
-- time that day (a dwell interval overlapping the day: the probe closes
-- intervals at detach or when a phone goes silent), and how many of those
-- also called or texted; with shares of the members.
--
-- Parameters:
--   {group:String}   group name (group_members)
--   {month:Date}     any day of the month
-- Times are UTC. Tables: dwell, events, group_members.
-- Time columns are read through toInt64(): the schema may store unix
-- seconds as Int64 or as DateTime('UTC').
WITH
    toStartOfMonth({month:Date}) AS m_day,
    toInt64(toUnixTimestamp(toDateTime(m_day, 'UTC'))) AS m0,
    toInt64(toUnixTimestamp(toDateTime(addMonths(m_day, 1), 'UTC'))) AS m1,
members AS (
    SELECT DISTINCT imsi FROM group_members WHERE group_name = {group:String} AND month = m_day
),
attached AS (
    SELECT DISTINCT imsi, toDate(toDateTime(d * 86400, 'UTC')) AS day
    FROM (SELECT imsi, msisdn, lac, ci, toInt64(start_ts) AS start_ts, toInt64(end_ts) AS end_ts, roamer, reason FROM dwell)
    ARRAY JOIN range(intDiv(greatest(start_ts, m0), 86400), intDiv(greatest(least(end_ts, m1) - 1, greatest(start_ts, m0)), 86400) + 1) AS d
    WHERE imsi IN (SELECT imsi FROM members) AND end_ts > m0 AND start_ts < m1
),
active AS (
    SELECT DISTINCT imsi, toDate(toDateTime(ts, 'UTC')) AS day
    FROM (SELECT toInt64(ts) AS ts, imsi, msisdn, kind, lac, ci, peer, roamer FROM events)
    WHERE imsi IN (SELECT imsi FROM members) AND ts >= m0 AND ts < m1
      AND kind IN ('call_mo', 'call_mt', 'sms_mo', 'sms_mt', 'ussd')
),
days AS (
    SELECT m_day + number AS day FROM numbers(toUInt64(dateDiff('day', m_day, addMonths(m_day, 1))))
)
SELECT d.day AS day,
       (SELECT count() FROM members) AS members,
       (SELECT count() FROM attached AS a WHERE a.day = d.day) AS reachable,
       (SELECT count() FROM active AS a WHERE a.day = d.day) AS active,
       round(reachable / greatest(members, 1), 4) AS reachable_share,
       round(active / greatest(members, 1), 4) AS active_share
FROM days AS d
ORDER BY day
