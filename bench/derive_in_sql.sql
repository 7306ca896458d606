-- The whole derivation of SPEC §4 as set-based PostgreSQL, for measuring against d2d's C++
-- derivation (src/model/breaks.cpp, src/model/distance.cpp; issue 3). Reads a loaded schema,
-- writes two temporary tables and nothing else:
--   sql_break(vehicle_id, start_at, end_at)                          like vehicle_break
--   sql_distance(operating_period_id, vehicle_id, distance_m, updates) like vehicle_operating_period_distance
-- Usage: psql -1 -v schema=bench_d2d -f bench/derive_in_sql.sql (default schema vehicle_analytics),
-- in one transaction, as a load would run it. See docs/decisions.md, "Derivation: C++ or SQL".
\if :{?schema}
\else
\set schema vehicle_analytics
\endif

-- Settings for this transaction only (SET LOCAL: no effect outside one). The per-(vehicle, slot)
-- aggregation is hashed only when the planner may use more than the default 4 MB, and JIT
-- compiling took longer than it saved (measured, docs/decisions.md).
SET LOCAL work_mem = '64MB';
SET LOCAL jit = off;

SET client_min_messages = warning; -- no notice when there is nothing to drop
DROP TABLE IF EXISTS pg_temp.sql_break;
DROP TABLE IF EXISTS pg_temp.sql_distance;
RESET client_min_messages;

-- Breaks, paired as model::pair_breaks does: events in time order, an end before a start at the
-- same instant. The state after an event is simply "open" after a start and "closed" after an end
-- (a repeated start or an orphan end changes nothing), so a start opens a break when the event
-- before it is not a start, and that break ends at the next such effective event, which is an end
-- (none: the break is open, end_at NULL).
CREATE TEMP TABLE sql_break AS
WITH event AS (
  SELECT DISTINCT vehicle_id, at, is_start FROM :"schema".lake_break_event
), effective AS (
  SELECT vehicle_id, at, is_start
  FROM (SELECT vehicle_id, at, is_start,
               lag(is_start, 1, false) OVER (PARTITION BY vehicle_id ORDER BY at, is_start) AS after_start
        FROM event) e
  WHERE is_start <> after_start
), span AS (
  SELECT vehicle_id, at AS start_at, is_start,
         lead(at) OVER (PARTITION BY vehicle_id ORDER BY at, is_start) AS end_at
  FROM effective
)
SELECT vehicle_id, start_at, end_at FROM span WHERE is_start;

-- Distances. The one ordered step is a pass over each vehicle's fixes in the primary key's order
-- that pairs every fix with the one before it; the rest is per row, then two aggregations:
--  - breaks do not overlap: with a vehicle's break starts sorted, width_bucket(at, starts) is the
--    number of its breaks started at or before `at`, and the last of them holds the fix when it
--    has not ended by then (start <= at < end; an open break never ends);
--  - a pair of consecutive kept fixes p, f spans a break exactly when a break starts in
--    (p.at, f.at] (f is kept, so that break ends by f.at too): when that count differs between
--    p and f. Such pairs add nothing (SPEC §4). A fix inside a break between p and f means such a
--    start, so only pairs of immediately consecutive fixes, both kept, can add;
--  - which operating periods hold a time t follows from k = the number of period starts <= t and
--    m = the number of finishes < t: P holds t when P's start is among the first k starts and its
--    finish is not among the first m finishes. Within a period a vehicle's kept fixes are a run of
--    its kept fixes, so a pair (p, f) is in P when P holds p and f: (k of p, m of f) qualifies.
--    Fixes and pairs are summed per (vehicle, k of p, k, m) first, then those few groups per
--    period: no join of every fix with every period.
-- Haversine as core::haversine_m: radius 6,371,008.8 m, h clamped to 1.
CREATE TEMP TABLE sql_distance AS
WITH period AS (
  SELECT operating_period_id, start_at, finish_at,
         count(*) OVER (ORDER BY start_at) AS start_rank,   -- starts <= this start
         count(*) OVER (ORDER BY finish_at) AS finish_rank  -- finishes <= this finish
  FROM :"schema".operating_period
  WHERE NOT deleted
), vehicle_break AS (
  SELECT vehicle_id, array_agg(start_at ORDER BY start_at) AS starts,
         array_agg(COALESCE(end_at, 'infinity') ORDER BY start_at) AS ends
  FROM sql_break
  GROUP BY vehicle_id
), fix AS (
  SELECT vehicle_id, at, lat, lng,
         lag(at) OVER w AS prev_at, lag(lat) OVER w AS prev_lat, lag(lng) OVER w AS prev_lng
  FROM :"schema".location_update
  WINDOW w AS (PARTITION BY vehicle_id ORDER BY at)
), counted AS (
  SELECT f.vehicle_id, f.at, f.lat, f.lng, f.prev_at, f.prev_lat, f.prev_lng, b.ends,
         COALESCE(width_bucket(f.at, b.starts), 0) AS breaks_started,
         COALESCE(width_bucket(f.prev_at, b.starts), 0) AS prev_breaks_started
  FROM fix f
  LEFT JOIN vehicle_break b ON b.vehicle_id = f.vehicle_id
), kept AS (
  SELECT vehicle_id, at, lat, lng, prev_lat, prev_lng, prev_at,
         prev_at IS NOT NULL AND prev_breaks_started = breaks_started
           AND (prev_breaks_started = 0 OR ends[prev_breaks_started] <= prev_at) AS pair_counts
  FROM counted
  WHERE breaks_started = 0 OR ends[breaks_started] <= at
), slot AS (
  SELECT vehicle_id,
         width_bucket(COALESCE(prev_at, at), (SELECT array_agg(start_at ORDER BY start_at) FROM period)) AS prev_k,
         width_bucket(at, (SELECT array_agg(start_at ORDER BY start_at) FROM period)) AS k,
         width_bucket(at, (SELECT array_agg(finish_at + interval '1 microsecond' ORDER BY finish_at) FROM period)) AS m,
         sum(CASE WHEN pair_counts THEN
           2.0 * 6371008.8 * asin(sqrt(least(
             sin((lat - prev_lat) * (pi() / 180.0) / 2) * sin((lat - prev_lat) * (pi() / 180.0) / 2)
             + cos(prev_lat * (pi() / 180.0)) * cos(lat * (pi() / 180.0))
               * sin((lng - prev_lng) * (pi() / 180.0) / 2) * sin((lng - prev_lng) * (pi() / 180.0) / 2),
             1.0)))
         END) AS distance_m,
         count(*) AS updates
  FROM kept
  GROUP BY 1, 2, 3, 4
)
-- A fix counts at (k, m); its pair with the fix before it at (k of that fix, m).
SELECT p.operating_period_id, s.vehicle_id,
       COALESCE(sum(s.distance_m) FILTER (WHERE p.start_rank <= s.prev_k), 0.0) AS distance_m,
       sum(s.updates)::bigint AS updates
FROM slot s
JOIN period p ON p.start_rank <= s.k AND p.finish_rank > s.m
GROUP BY p.operating_period_id, s.vehicle_id;
