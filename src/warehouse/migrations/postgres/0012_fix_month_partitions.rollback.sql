-- location_fix as one table again, with the same rows.
DROP VIEW {{schema}}.location_update;
ALTER TABLE {{schema}}.location_fix RENAME TO location_fix_partitioned;
ALTER INDEX {{schema}}.location_fix_pkey RENAME TO location_fix_partitioned_pkey;
ALTER INDEX {{schema}}.location_fix_at_lake_date_brin RENAME TO location_fix_partitioned_brin;
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
);
INSERT INTO {{schema}}.location_fix SELECT * FROM {{schema}}.location_fix_partitioned ORDER BY vehicle_key, at;
CREATE INDEX location_fix_at_lake_date_brin ON {{schema}}.location_fix USING brin (at, lake_date);
DROP TABLE {{schema}}.location_fix_partitioned;  -- and its partitions

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
