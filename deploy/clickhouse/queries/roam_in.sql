-- roam_in: inbound roamers by home country and operator.
--
-- Answers: for each foreign network (home MCC/MNC, country from the MCC)
-- seen in [{from}, {to}]: how many of its subscribers were in our network,
-- how many arrived during the period (first seen after its first day), the
-- roamer-days (days with presence summed over roamers), the mean stay seen
-- (days from first to last signaling, clipped to the period), and their
-- calls and SMS. Roamers are subscribers whose home network is not
-- {home_mcc}/{home_mnc}.
--
-- Roam-out (our subscribers abroad) is roam_out.sql: the probe sees it as
-- updateLocation from foreign VLRs on the international gateway's link.
--
-- Parameters:
--   {from:Date}, {to:Date}   period, whole UTC days, inclusive
--   {home_mcc:String}        our network's MCC, e.g. '001'
--   {home_mnc:String}        our network's MNC, e.g. '01'
-- Tables: subscribers, dwell, events.
-- Time columns are read through toInt64(): the schema may store unix
-- seconds as Int64 or as DateTime('UTC').
WITH
    toInt64(toUnixTimestamp(toDateTime({from:Date}, 'UTC'))) AS t0,
    toInt64(toUnixTimestamp(toDateTime({to:Date} + 1, 'UTC'))) AS t1,
    -- ITU-T E.212 mobile country codes of common roaming partners
    transform(home_mcc,
        ['202','204','208','214','216','222','226','228','230','232','234','235','238','240','242','244','246','250','255','260','262','268','270','272','276','280','284','286','293','297','302','310','311','312','313','316','334','404','405','420','424','425','440','441','450','452','454','455','460','466','502','505','510','515','520','525','530','602','655','714','722','724','730','732'],
        ['GR','NL','FR','ES','HU','IT','RO','CH','CZ','AT','GB','GB','DK','SE','NO','FI','LT','RU','UA','PL','DE','PT','LU','IE','AL','CY','BG','TR','SI','ME','CA','US','US','US','US','US','MX','IN','IN','SA','AE','IL','JP','JP','KR','VN','HK','MO','CN','TW','MY','AU','ID','PH','TH','SG','NZ','EG','ZA','PA','AR','BR','CL','CO'],
        concat('MCC ', home_mcc)) AS country,
roamers AS (
    SELECT imsi, any(home_mcc) AS r_mcc, any(home_mnc) AS r_mnc
    FROM subscribers
    WHERE NOT (home_mcc = {home_mcc:String} AND home_mnc = {home_mnc:String})
    GROUP BY imsi
),
seen AS (
    SELECT imsi, min(greatest(start_ts, t0)) AS first_ts, max(least(end_ts, t1)) AS last_ts,
           min(start_ts) AS first_ever,
           uniqExact(arrayJoin(range(intDiv(greatest(start_ts, t0), 86400), intDiv(greatest(least(end_ts, t1) - 1, greatest(start_ts, t0)), 86400) + 1))) AS days
    FROM (SELECT imsi, msisdn, lac, ci, toInt64(start_ts) AS start_ts, toInt64(end_ts) AS end_ts, roamer, reason FROM dwell)
    WHERE end_ts > t0 AND start_ts < t1 AND imsi IN (SELECT imsi FROM roamers)
    GROUP BY imsi
),
traffic AS (
    SELECT imsi, countIf(kind IN ('call_mo', 'call_mt')) AS calls, countIf(kind IN ('sms_mo', 'sms_mt')) AS sms
    FROM (SELECT toInt64(ts) AS ts, imsi, msisdn, kind, lac, ci, peer, roamer FROM events)
    WHERE ts >= t0 AND ts < t1 AND imsi IN (SELECT imsi FROM roamers)
    GROUP BY imsi
)
SELECT country, r.r_mcc AS home_mcc, r.r_mnc AS home_mnc,
       count() AS roamers,
       countIf(s.first_ever > t0) AS arrivals,
       sum(s.days) AS roamer_days,
       round(avg((s.last_ts - s.first_ts) / 86400), 2) AS mean_stay_days,
       sum(tr.calls) AS calls,
       sum(tr.sms) AS sms
FROM seen AS s
INNER JOIN roamers AS r ON r.imsi = s.imsi
LEFT JOIN traffic AS tr ON tr.imsi = s.imsi
GROUP BY country, home_mcc, home_mnc
ORDER BY roamers DESC, home_mcc, home_mnc
