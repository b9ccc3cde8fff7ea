-- roam_out: our subscribers abroad, by visited country and day (roam-out).
--
-- Answers: for each day of [{from}, {to}] and each country our subscribers
-- were registered in: how many left for it that day (departures: a
-- roam_out event, i.e. an updateLocation from that country's VLR to our
-- HLR), how many came back from it (returns: roam_return), and how many
-- were there at some time of the day (abroad: from the roam_out until the
-- next roaming event of the subscriber, the return or a move to another
-- country; still abroad when the data ends counts to {to}).
--
-- The country is the E.164 country code of the foreign VLR's number
-- (events.peer): E.164 codes are prefix-free: 1 and 7 have one digit, the
-- codes listed below two, all others three. `country` names the common
-- ones (ISO 3166 alpha-2), else shows the code.
--
-- Parameters:
--   {from:Date}, {to:Date}   period, whole UTC days, inclusive
-- Tables: events (kinds roam_out and roam_return).
-- Time columns are read through toInt64(): the schema may store unix
-- seconds as Int64 or as DateTime('UTC').
WITH
    toInt64(toUnixTimestamp(toDateTime({from:Date}, 'UTC'))) AS t0,
    toInt64(toUnixTimestamp(toDateTime({to:Date} + 1, 'UTC'))) AS t1,
    ['20','27','30','31','32','33','34','36','39','40','41','43','44','45','46','47','48','49','51','52','53','54','55','56','57','58','60','61','62','63','64','65','66','81','82','84','86','90','91','92','93','94','95','98'] AS cc2,
roaming AS (
    SELECT imsi, toInt64(ts) AS ts, kind,
           multiIf(substring(peer, 1, 1) IN ('1', '7'), substring(peer, 1, 1),
                   has(cc2, substring(peer, 1, 2)), substring(peer, 1, 2),
                   substring(peer, 1, 3)) AS cc
    FROM events
    WHERE kind IN ('roam_out', 'roam_return') AND peer != ''
),
-- Each stay abroad: from a roam_out to the subscriber's next roaming event.
stays AS (
    SELECT imsi, cc, ts AS out_ts, if(next_ts = 0, t1, next_ts) AS end_ts
    FROM (
        SELECT imsi, cc, ts, kind,
               leadInFrame(ts, 1, 0) OVER (PARTITION BY imsi ORDER BY ts ASC ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS next_ts
        FROM roaming
    )
    WHERE kind = 'roam_out' AND out_ts < t1 AND end_ts > t0
),
abroad AS (
    SELECT day, cc, uniqExact(imsi) AS abroad
    FROM (
        SELECT imsi, cc,
               arrayJoin(range(intDiv(greatest(out_ts, t0), 86400), intDiv(least(end_ts, t1) - 1, 86400) + 1)) AS d,
               toDate(d * 86400) AS day
        FROM stays
    )
    GROUP BY day, cc
),
moves AS (
    SELECT toDate(intDiv(ts, 86400) * 86400) AS day, cc,
           countIf(kind = 'roam_out') AS departures, countIf(kind = 'roam_return') AS returns
    FROM roaming
    WHERE ts >= t0 AND ts < t1
    GROUP BY day, cc
)
SELECT day, cc AS country_code,
       transform(cc, ['1','7','30','31','32','33','34','36','39','41','43','44','45','46','47','48','49','61','81','82','86','90','91','351','353','358','420','852','971'],
                     ['US','RU','GR','NL','BE','FR','ES','HU','IT','CH','AT','GB','DK','SE','NO','PL','DE','AU','JP','KR','CN','TR','IN','PT','IE','FI','CZ','HK','AE'],
                     concat('+', cc)) AS country,
       sum(departures) AS departures, sum(returns) AS returns, sum(abroad) AS abroad
FROM (
    SELECT day, cc, departures, returns, 0 AS abroad FROM moves
    UNION ALL
    SELECT day, cc, 0, 0, abroad FROM abroad
)
GROUP BY day, cc
ORDER BY day, country_code
