-- group_destinations: where a group's members call and text, by area.
--
-- Answers: for {group}'s whitelisted members in the month, their
-- mobile-originated calls and SMS grouped by the destination's area: the
-- longest prefix of the called number found in number_prefixes (the
-- operator's numbering plan), or 'unknown'. Per area: calls, SMS, distinct
-- numbers, distinct members calling, and the share of the group's calls.
--
-- Parameters:
--   {group:String}   group name (group_members)
--   {month:Date}     any day of the month
-- Tables: events, group_members, number_prefixes.
-- Time columns are read through toInt64(): the schema may store unix
-- seconds as Int64 or as DateTime('UTC').
WITH
    toStartOfMonth({month:Date}) AS m_day,
    toInt64(toUnixTimestamp(toDateTime(m_day, 'UTC'))) AS m0,
    toInt64(toUnixTimestamp(toDateTime(addMonths(m_day, 1), 'UTC'))) AS m1,
mo AS (
    SELECT imsi, kind, peer FROM (SELECT toInt64(ts) AS ts, imsi, msisdn, kind, lac, ci, peer, roamer FROM events)
    WHERE ts >= m0 AND ts < m1 AND kind IN ('call_mo', 'sms_mo') AND peer != ''
      AND imsi IN (SELECT imsi FROM group_members WHERE group_name = {group:String} AND month = m_day)
),
areas AS (
    -- longest matching prefix per number
    SELECT peer, argMax(np.area, length(np.prefix)) AS area
    FROM (SELECT DISTINCT peer FROM mo) AS n
    ARRAY JOIN arrayMap(i -> substring(n.peer, 1, i), range(1, length(n.peer) + 1)) AS pre
    INNER JOIN number_prefixes AS np ON np.prefix = pre
    GROUP BY peer
)
SELECT if(a.area = '', 'unknown', a.area) AS area,
       countIf(mo.kind = 'call_mo') AS calls,
       countIf(mo.kind = 'sms_mo') AS sms,
       uniqExact(mo.peer) AS numbers,
       uniqExact(mo.imsi) AS members,
       round(calls / greatest((SELECT countIf(kind = 'call_mo') FROM mo), 1), 4) AS call_share
FROM mo
LEFT JOIN areas AS a ON a.peer = mo.peer
GROUP BY area
ORDER BY calls DESC, area
