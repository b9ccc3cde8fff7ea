-- terminal_tac: handset models (TAC) per region and per group.
--
-- Answers: the Type Allocation Code (first 8 digits of the IMEI, 3GPP TS
-- 23.003) of the subscribers who were in each region in [{from}, {to}]
-- (scope 'region') and of each group's whitelisted members for the months
-- in the period (scope 'group'): subscribers per TAC and their share of the
-- scope's subscribers with a known IMEI. Subscribers without an IMEI are
-- counted under TAC ''.
--
-- Parameters:
--   {from:Date}, {to:Date}   period, whole UTC days, inclusive
-- Tables: subscribers, dwell, regions, group_members.
-- Time columns are read through toInt64(): the schema may store unix
-- seconds as Int64 or as DateTime('UTC').
WITH
    toInt64(toUnixTimestamp(toDateTime({from:Date}, 'UTC'))) AS t0,
    toInt64(toUnixTimestamp(toDateTime({to:Date} + 1, 'UTC'))) AS t1,
tacs AS (
    SELECT imsi, substring(argMax(imei, last_seen), 1, 8) AS tac FROM subscribers GROUP BY imsi
),
scoped AS (
    SELECT DISTINCT 'region' AS scope, r.region AS name, d.imsi AS imsi
    FROM (SELECT imsi, msisdn, lac, ci, toInt64(start_ts) AS start_ts, toInt64(end_ts) AS end_ts, roamer, reason FROM dwell) AS d
    INNER JOIN regions AS r ON r.lac = d.lac AND r.ci = d.ci
    WHERE d.end_ts > t0 AND d.start_ts < t1
    UNION ALL
    SELECT DISTINCT 'group', group_name, imsi FROM group_members
    WHERE month >= toStartOfMonth({from:Date}) AND month <= {to:Date}
)
SELECT scope, name, t.tac AS tac, count() AS subscribers,
       round(subscribers / sum(countIf(t.tac != '')) OVER (PARTITION BY scope, name), 4) AS share
FROM scoped AS s
LEFT JOIN tacs AS t ON t.imsi = s.imsi
GROUP BY scope, name, tac
ORDER BY scope, name, subscribers DESC, tac
