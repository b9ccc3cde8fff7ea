-- group_abroad: a group's members abroad, day by day (enterprise members
-- travelling: roam-out).
--
-- Answers: for each day of [{from}, {to}]: how many of {group}'s members
-- (group_members, the accepted whitelist, any month) were registered
-- abroad at some time of the day, which countries (E.164 country codes of
-- the foreign VLRs, as in roam_out.sql), and how many were abroad for the
-- whole day.
--
-- A member is abroad from its roam_out event until its next roaming event
-- (the roam_return, or a move to another country); still abroad when the
-- data ends counts to {to}.
--
-- Parameters:
--   {group:String}           the group (group_members.group_name)
--   {from:Date}, {to:Date}   period, whole UTC days, inclusive
-- Tables: events, group_members.
WITH
    toInt64(toUnixTimestamp(toDateTime({from:Date}, 'UTC'))) AS t0,
    toInt64(toUnixTimestamp(toDateTime({to:Date} + 1, 'UTC'))) AS t1,
    ['20','27','30','31','32','33','34','36','39','40','41','43','44','45','46','47','48','49','51','52','53','54','55','56','57','58','60','61','62','63','64','65','66','81','82','84','86','90','91','92','93','94','95','98'] AS cc2,
members AS (
    SELECT DISTINCT imsi FROM group_members WHERE group_name = {group:String}
),
roaming AS (
    SELECT imsi, toInt64(ts) AS ts, kind,
           multiIf(substring(peer, 1, 1) IN ('1', '7'), substring(peer, 1, 1),
                   has(cc2, substring(peer, 1, 2)), substring(peer, 1, 2),
                   substring(peer, 1, 3)) AS cc
    FROM events
    WHERE kind IN ('roam_out', 'roam_return') AND peer != '' AND imsi IN (SELECT imsi FROM members)
),
stays AS (
    SELECT imsi, cc, ts AS out_ts, if(next_ts = 0, t1, next_ts) AS end_ts
    FROM (
        SELECT imsi, cc, ts, kind,
               leadInFrame(ts, 1, 0) OVER (PARTITION BY imsi ORDER BY ts ASC ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS next_ts
        FROM roaming
    )
    WHERE kind = 'roam_out' AND out_ts < t1 AND end_ts > t0
),
days AS (
    SELECT toDate(d * 86400) AS day
    FROM (SELECT arrayJoin(range(intDiv(t0, 86400), intDiv(t1, 86400))) AS d)
),
presence AS (
    SELECT toDate(d * 86400) AS day, imsi, cc,
           out_ts <= d * 86400 AND end_ts >= (d + 1) * 86400 AS whole_day
    FROM (
        SELECT imsi, cc, out_ts, end_ts,
               arrayJoin(range(intDiv(greatest(out_ts, t0), 86400), intDiv(least(end_ts, t1) - 1, 86400) + 1)) AS d
        FROM stays
    )
)
SELECT d.day AS day,
       (SELECT count() FROM members) AS members,
       uniqExactIf(p.imsi, p.imsi != '') AS abroad,
       uniqExactIf(p.imsi, p.whole_day) AS abroad_all_day,
       arraySort(groupUniqArrayIf(p.cc, p.cc != '')) AS country_codes
FROM days AS d
LEFT JOIN presence AS p ON p.day = d.day
GROUP BY d.day
ORDER BY d.day
