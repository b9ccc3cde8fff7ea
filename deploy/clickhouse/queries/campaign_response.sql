-- campaign_response: how many subscribers a campaign moved, against its
-- control group (closing the loop trigger -> contact -> response).
--
-- Answers: for each campaign (triggers.campaign), among the subscribers its
-- rule triggered: how many were contacted (treated: control = false, the
-- trigger was published) and how many were held out (control = true,
-- recorded, never published: rules control_share), how many of each
-- responded, the response rates, and the uplift (treated rate minus control
-- rate) with a 95 % interval (normal approximation). The control group is
-- drawn by a hash of campaign and IMSI, independent of behaviour, so the
-- uplift is the campaign's effect.
--
-- A subscriber counts from its first trigger of the campaign (t0). It
-- responded if within {within_hours} after t0 it called {target_number}
-- (an MO call leg to it, answered or not) or entered {target_region} (a
-- dwell in one of the region's cells starting after t0); '' leaves that
-- part out. Subscribers whose window would run past {until} (the end of the
-- data) are left out: their response is not known yet.
--
-- Parameters:
--   {campaign:String}        one campaign, '' for all
--   {within_hours:UInt32}    the response window, e.g. 72 for three days
--   {target_number:String}   E.164 digits without +, '' for none
--   {target_region:String}   a region of the regions table, '' for none
--   {until:DateTime}         end of the data, UTC
-- Tables: triggers, events, dwell, regions.
WITH
    toInt64(toUnixTimestamp({until:DateTime})) AS t_end,
    toInt64({within_hours:UInt32}) * 3600 AS w,
contacts AS (
    SELECT campaign, imsi, min(toInt64(ts)) AS t0, argMin(control, toInt64(ts)) AS held_out
    FROM triggers
    WHERE campaign != '' AND ({campaign:String} = '' OR campaign = {campaign:String})
    GROUP BY campaign, imsi
    HAVING t0 + w <= t_end
),
calls AS (
    SELECT imsi, toInt64(ts) AS ts
    FROM events
    WHERE {target_number:String} != '' AND kind = 'call_mo' AND peer = {target_number:String}
),
entries AS (
    SELECT imsi, toInt64(start_ts) AS ts
    FROM dwell
    WHERE {target_region:String} != ''
      AND (lac, ci) IN (SELECT lac, ci FROM regions WHERE region = {target_region:String})
),
responders AS (
    SELECT DISTINCT campaign, imsi FROM (
        SELECT c.campaign AS campaign, c.imsi AS imsi
        FROM contacts AS c INNER JOIN calls AS x ON x.imsi = c.imsi
        WHERE x.ts > c.t0 AND x.ts <= c.t0 + w
        UNION ALL
        SELECT c.campaign, c.imsi
        FROM contacts AS c INNER JOIN entries AS y ON y.imsi = c.imsi
        WHERE y.ts > c.t0 AND y.ts <= c.t0 + w
    )
),
tally AS (
    SELECT c.campaign AS campaign,
           countIf(NOT c.held_out) AS treated, countIf(c.held_out) AS control,
           countIf(NOT c.held_out AND r.imsi != '') AS treated_responders,
           countIf(c.held_out AND r.imsi != '') AS control_responders
    FROM contacts AS c
    LEFT JOIN responders AS r ON r.campaign = c.campaign AND r.imsi = c.imsi
    GROUP BY c.campaign
)
SELECT campaign, treated, control, treated_responders, control_responders,
       round(treated_responders / treated, 4) AS treated_rate,
       round(control_responders / control, 4) AS control_rate,
       round(treated_rate - control_rate, 4) AS uplift,
       round(1.96 * sqrt(treated_rate * (1 - treated_rate) / treated + control_rate * (1 - control_rate) / control), 4) AS uplift_ci95
FROM tally
ORDER BY campaign
