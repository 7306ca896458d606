-- Back to the text-keyed tables of migration 0010, with the same rows: the views' values are the
-- tables' values, column for column.
-- Nothing is lost, so `migrate down` needs no --yes for the tables it drops (tested forward and back):
-- rows kept: location_fix, location_fix_superseded, location_fix_event_at, vehicle_key, organization_key
ALTER VIEW {{schema}}.location_update RENAME TO location_update_v2;
ALTER VIEW {{schema}}.lake_location_superseded RENAME TO lake_location_superseded_v2;

CREATE TABLE {{schema}}.lake_location_superseded (
  vehicle_id      text COLLATE "C" NOT NULL,
  at              timestamptz NOT NULL,
  lake_date       date NOT NULL,
  event_at        timestamptz NOT NULL,
  lat             double precision NOT NULL,
  lng             double precision NOT NULL,
  organization_id text COLLATE "C",
  lake_object_id  bigint,
  PRIMARY KEY (vehicle_id, at, lake_date)
);
INSERT INTO {{schema}}.lake_location_superseded
SELECT vehicle_id, at, lake_date, event_at, lat, lng, organization_id, lake_object_id
FROM {{schema}}.lake_location_superseded_v2 ORDER BY vehicle_id, at, lake_date;
CREATE INDEX lake_location_superseded_by_date ON {{schema}}.lake_location_superseded (lake_date);

CREATE TABLE {{schema}}.location_update (
  vehicle_id      text COLLATE "C" NOT NULL,
  at              timestamptz NOT NULL,
  lat             double precision NOT NULL,
  lng             double precision NOT NULL,
  organization_id text COLLATE "C",
  lake_date       date NOT NULL,
  event_at        timestamptz NOT NULL,
  lake_object_id  bigint,
  PRIMARY KEY (vehicle_id, at)
);
INSERT INTO {{schema}}.location_update
SELECT vehicle_id, at, lat, lng, organization_id, lake_date, event_at, lake_object_id
FROM {{schema}}.location_update_v2 ORDER BY vehicle_id, at;
CREATE INDEX location_update_at_lake_date_brin ON {{schema}}.location_update USING brin (at, lake_date);

DROP VIEW {{schema}}.location_update_v2;
DROP VIEW {{schema}}.lake_location_superseded_v2;
DROP TABLE {{schema}}.location_fix;
DROP TABLE {{schema}}.location_fix_superseded;
DROP TABLE {{schema}}.location_fix_event_at;
DROP TABLE {{schema}}.vehicle_key;
DROP TABLE {{schema}}.organization_key;

-- As migration 0002 granted it.
SET LOCAL search_path = {{schema}};
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'd2d_analyst')
     AND has_schema_privilege('d2d_analyst', current_schema(), 'USAGE') THEN
    GRANT SELECT ON location_update TO d2d_analyst;
  END IF;
END
$$;
RESET search_path;
