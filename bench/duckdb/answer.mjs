// DuckDB as the contender "what a user might pick instead" (issue 5): the answer of SPEC §4
// (per operating period: vehicles that took part, average and total distance, breaks left out)
// computed in one SQL statement straight from one lake date's NDJSON files, in memory.
// Prints the answer in the shape of `d2d report --format json`, so bench/run.sh can compare them.
// Usage: node answer.mjs 'GLOB' (e.g. '/data/source/2024/04/01/**/*')
import { DuckDBInstance } from '@duckdb/node-api';

const glob = process.argv[2];
if (!glob) {
  console.error('usage: node answer.mjs GLOB');
  process.exit(2);
}

const quoted = (text) => `'${text.replaceAll("'", "''")}'`;

// Validation follows SPEC §3 for every field the answer depends on; lines that are not JSON are
// skipped by the reader (ignore_errors), as d2d rejects them.
const sql = `
CREATE MACRO rfc3339(text) AS
  CASE WHEN regexp_full_match(text, '\\d{4}-\\d{2}-\\d{2}[Tt ]\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?([Zz]|[+-]\\d{2}:\\d{2})')
       THEN try_cast(upper(text) AS TIMESTAMPTZ) END;
CREATE MACRO json_string(value) AS CASE WHEN json_type(value) = 'VARCHAR' THEN value ->> '$' END;
CREATE MACRO json_number(value) AS
  CASE WHEN json_type(value) IN ('UBIGINT', 'BIGINT', 'DOUBLE') THEN CAST(value AS DOUBLE) END;
-- core::haversine_m: mean Earth radius 6,371,008.8 m.
CREATE MACRO haversine_m(lat1, lng1, lat2, lng2) AS
  2 * 6371008.8 * asin(sqrt(least(1.0,
    pow(sin(radians(lat2 - lat1) / 2), 2) + cos(radians(lat1)) * cos(radians(lat2)) * pow(sin(radians(lng2 - lng1) / 2), 2))));

WITH raw AS (
  SELECT * FROM read_ndjson(${quoted(glob)}, ignore_errors = true, columns = {
    event: 'JSON', "on": 'JSON', "at": 'JSON', organization_id: 'JSON', data: 'JSON'})
),
valid AS (  -- every event needs string event/on, a zoned timestamp, data with a non-empty string id
  SELECT json_string(event) AS event, json_string("on") AS entity, rfc3339(json_string("at")) AS event_at, data,
         json_string(data -> '$.id') AS id
  FROM raw
  WHERE json_type(data) = 'OBJECT'
    AND (organization_id IS NULL OR json_type(organization_id) IN ('VARCHAR', 'NULL'))
),
checked AS (
  SELECT * FROM valid WHERE event IS NOT NULL AND entity IS NOT NULL AND event_at IS NOT NULL AND id <> ''
),
updates AS (
  SELECT id AS vehicle_id, event_at, rfc3339(json_string(data -> '$.location.at')) AS fix_at,
         json_number(data -> '$.location.lat') AS lat, json_number(data -> '$.location.lng') AS lng
  FROM checked WHERE entity = 'vehicle' AND event = 'update'
),
fixes AS (  -- one version per (vehicle, fix time): the latest event at wins, ties the greater (lat, lng)
  SELECT vehicle_id, fix_at, lat, lng FROM updates
  WHERE fix_at IS NOT NULL AND lat BETWEEN -90 AND 90 AND lng BETWEEN -180 AND 180
  QUALIFY row_number() OVER (PARTITION BY vehicle_id, fix_at ORDER BY event_at DESC, lat DESC, lng DESC) = 1
),
period_events AS (
  SELECT id, event_at, event = 'delete' AS deleted,
         rfc3339(json_string(data -> '$.start')) AS start_at, rfc3339(json_string(data -> '$.finish')) AS finish_at
  FROM checked WHERE entity = 'operating_period' AND event IN ('create', 'delete')
),
periods AS (  -- the latest event per id wins; at the same instant a delete beats a create
  SELECT id, start_at, finish_at FROM (
    SELECT * FROM period_events
    WHERE deleted OR (start_at IS NOT NULL AND finish_at IS NOT NULL AND start_at <= finish_at)
    QUALIFY row_number() OVER (PARTITION BY id ORDER BY event_at DESC, deleted DESC, start_at DESC, finish_at DESC) = 1)
  WHERE NOT deleted
),
break_events AS (
  SELECT DISTINCT id AS vehicle_id, event_at AS break_at, event = 'break_start' AS is_start
  FROM checked WHERE entity = 'vehicle' AND event IN ('break_start', 'break_end')
),
effective AS (  -- model::pair_breaks: a repeated start or an end with no open break is ignored
  SELECT * FROM break_events
  QUALIFY is_start <> coalesce(lag(is_start) OVER (PARTITION BY vehicle_id ORDER BY break_at, is_start), false)
),
breaks AS (  -- [start, end), end null while open
  SELECT vehicle_id, start_at, end_at FROM (
    SELECT vehicle_id, break_at AS start_at, is_start,
           lead(break_at) OVER (PARTITION BY vehicle_id ORDER BY break_at, is_start) AS end_at
    FROM effective)
  WHERE is_start
),
outside_breaks AS (
  SELECT f.* FROM fixes f
  WHERE NOT EXISTS (SELECT 1 FROM breaks b WHERE b.vehicle_id = f.vehicle_id AND b.start_at <= f.fix_at
                      AND (b.end_at IS NULL OR f.fix_at < b.end_at))
),
counted AS (  -- the window [start, finish] is inclusive
  SELECT p.id AS period_id, f.vehicle_id, f.fix_at, f.lat, f.lng,
         lag(f.fix_at) OVER w AS prev_at, lag(f.lat) OVER w AS prev_lat, lag(f.lng) OVER w AS prev_lng
  FROM periods p JOIN outside_breaks f ON f.fix_at BETWEEN p.start_at AND p.finish_at
  WINDOW w AS (PARTITION BY p.id, f.vehicle_id ORDER BY f.fix_at)
),
legs AS (  -- a pair whose span a break ended in is left out
  SELECT c.period_id, c.vehicle_id,
         CASE WHEN c.prev_at IS NULL THEN 0
              WHEN EXISTS (SELECT 1 FROM breaks b WHERE b.vehicle_id = c.vehicle_id AND b.end_at > c.prev_at
                             AND b.end_at <= c.fix_at) THEN 0
              ELSE haversine_m(c.prev_lat, c.prev_lng, c.lat, c.lng) END AS distance_m
  FROM counted c
),
per_vehicle AS (
  SELECT period_id, vehicle_id, sum(distance_m) AS distance_m FROM legs GROUP BY period_id, vehicle_id
)
SELECT p.id AS operating_period_id, count(v.vehicle_id) AS vehicles, avg(v.distance_m) AS avg_distance_m,
       coalesce(sum(v.distance_m), 0) AS total_distance_m
FROM periods p LEFT JOIN per_vehicle v ON v.period_id = p.id
GROUP BY p.id ORDER BY p.id`;

const instance = await DuckDBInstance.create(':memory:');
const connection = await instance.connect();
await connection.run("SET TimeZone = 'UTC'");
const statements = sql.split(/;\n/);
for (const statement of statements.slice(0, -1)) await connection.run(statement);
const reader = await connection.runAndReadAll(statements.at(-1));
const periods = reader.getRowObjects().map((row) => ({
  operating_period_id: row.operating_period_id,
  vehicles: Number(row.vehicles),
  avg_distance_m: row.avg_distance_m === null ? null : Number(row.avg_distance_m),
  total_distance_m: Number(row.total_distance_m),
}));
console.log(JSON.stringify({ operating_periods: periods }));
