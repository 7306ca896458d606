-- location_fix partitioned by month of `at` (UTC), issue 18 item 2: a load touches one month's key
-- (two around midnight at a month's end), not a key of every fix ever loaded; time filters prune to
-- their months; a month goes or is archived as one table. Months, not days: day partitions loaded
-- a day 15% faster but made a vehicle's month and count(*) slower and planning 4-6 times dearer
-- (docs/decisions.md, "Storage v2: what was measured"). A load adds the partitions of the months
-- its fixes touch: created as tables of their own and attached (ATTACH PARTITION takes SHARE UPDATE
-- EXCLUSIVE on location_fix, which readers and writers pass; CREATE ... PARTITION OF would take
-- ACCESS EXCLUSIVE until the load commits). The view location_update is unchanged.
DROP VIEW {{schema}}.location_update;
ALTER TABLE {{schema}}.location_fix RENAME TO location_fix_unpartitioned;
ALTER INDEX {{schema}}.location_fix_pkey RENAME TO location_fix_unpartitioned_pkey;
ALTER INDEX {{schema}}.location_fix_at_lake_date_brin RENAME TO location_fix_unpartitioned_brin;

CREATE TABLE {{schema}}.location_fix (
  at                timestamptz NOT NULL,
  lat               double precision NOT NULL,
  lng               double precision NOT NULL,
  lake_object_id    bigint,
  vehicle_key       integer NOT NULL,
  lake_date         date NOT NULL,
  event_at_delta_us integer,  -- event_at - at in µs; NULL: see location_fix_event_at
  organization_key  smallint,
  PRIMARY KEY (vehicle_key, at)
) PARTITION BY RANGE (at);
CREATE INDEX location_fix_at_lake_date_brin ON {{schema}}.location_fix USING brin (at, lake_date);

-- One partition per month the fixes touch, named location_fix_pYYYYMM, as the loader names them.
SET LOCAL search_path = {{schema}};
DO $$
DECLARE
  month timestamp;
BEGIN
  FOR month IN SELECT DISTINCT date_trunc('month', at AT TIME ZONE 'UTC') FROM location_fix_unpartitioned LOOP
    EXECUTE format('CREATE TABLE %I.%I (LIKE %I.location_fix)', current_schema(),
                   'location_fix_p' || to_char(month, 'YYYYMM'), current_schema());
    EXECUTE format('ALTER TABLE %I.location_fix ATTACH PARTITION %I.%I FOR VALUES FROM (%L) TO (%L)',
                   current_schema(), current_schema(), 'location_fix_p' || to_char(month, 'YYYYMM'),
                   to_char(month, 'YYYY-MM-DD') || ' 00:00:00+00',
                   to_char(month + interval '1 month', 'YYYY-MM-DD') || ' 00:00:00+00');
  END LOOP;
END
$$;
RESET search_path;
INSERT INTO {{schema}}.location_fix SELECT * FROM {{schema}}.location_fix_unpartitioned ORDER BY vehicle_key, at;
DROP TABLE {{schema}}.location_fix_unpartitioned;

CREATE VIEW {{schema}}.location_update AS
SELECT k.vehicle_id, f.at, f.lat, f.lng, o.organization_id, f.lake_date,
       COALESCE(f.at + f.event_at_delta_us * interval '1 microsecond',
                (SELECT x.event_at FROM {{schema}}.location_fix_event_at x
                 WHERE x.vehicle_key = f.vehicle_key AND x.at = f.at AND x.lake_date = f.lake_date)) AS event_at,
       f.lake_object_id
FROM {{schema}}.location_fix f
JOIN {{schema}}.vehicle_key k ON k.vehicle_key = f.vehicle_key
LEFT JOIN {{schema}}.organization_key o ON o.organization_key = f.organization_key;

SET LOCAL search_path = {{schema}};
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'd2d_analyst')
     AND has_schema_privilege('d2d_analyst', current_schema(), 'USAGE') THEN
    GRANT SELECT ON location_update, location_fix TO d2d_analyst;
  END IF;
END
$$;
RESET search_path;
