-- silent_subscribers: who has gone quiet.
--
-- Answers: the subscribers seen in the {lookback_days} days before {at} whose
-- last signaling is at least {silent_hours} hours before {at}: switched off
-- without detaching, out of coverage, gone abroad, a SIM swapped out. One row
-- each with the last time and cell seen, hours of silence, whether the
-- phone detached (the last dwell interval ended by a detach), and whether
-- it is an inbound roamer. Ordered by silence, longest first.
--
-- Parameters:
--   {at:DateTime('UTC')}     e.g. '2026-10-20 12:00:00'
--   {silent_hours:UInt32}    24
--   {lookback_days:UInt32}   7
-- Tables: dwell, events, subscribers.
-- Time columns are read through toInt64(): the schema may store unix
-- seconds as Int64 or as DateTime('UTC').
WITH
    toInt64(toUnixTimestamp({at:DateTime('UTC')})) AS t_at,
    t_at - toInt64({lookback_days:UInt32}) * 86400 AS t_from,
last_dwell AS (
    SELECT imsi,
           max(least(end_ts, t_at)) AS last_ts,
           argMax(lac, least(end_ts, t_at)) AS last_lac,
           argMax(ci, least(end_ts, t_at)) AS last_ci,
           argMax(reason, least(end_ts, t_at)) AS last_reason,
           max(roamer) AS roamer
    FROM (SELECT imsi, msisdn, lac, ci, toInt64(start_ts) AS start_ts, toInt64(end_ts) AS end_ts, roamer, reason FROM dwell)
    WHERE start_ts <= t_at AND end_ts >= t_from
    GROUP BY imsi
),
last_event AS (
    SELECT imsi, max(ts) AS last_ev FROM (SELECT toInt64(ts) AS ts, imsi, msisdn, kind, lac, ci, peer, roamer FROM events)
    WHERE ts <= t_at AND ts >= t_from
      AND kind NOT IN ('roam_out', 'roam_return') -- registering abroad is not activity in our network
    GROUP BY imsi
)
SELECT d.imsi AS imsi, s.msisdn AS msisdn,
       toDateTime(greatest(d.last_ts, e.last_ev), 'UTC') AS last_seen,
       d.last_lac AS lac, d.last_ci AS ci,
       round((t_at - greatest(d.last_ts, e.last_ev)) / 3600, 1) AS silent_hours,
       d.last_reason = 'detach' AS detached,
       d.roamer AS roamer
FROM last_dwell AS d
LEFT JOIN last_event AS e ON e.imsi = d.imsi
LEFT JOIN (SELECT imsi, any(msisdn) AS msisdn FROM subscribers GROUP BY imsi) AS s ON s.imsi = d.imsi
WHERE t_at - greatest(d.last_ts, e.last_ev) >= toInt64({silent_hours:UInt32}) * 3600
ORDER BY silent_hours DESC, imsi
