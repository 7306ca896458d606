-- Back to text-keyed tables, with the same rows: the views are read into tables of the shape
-- migrations 0001-0007 left, then the v2 tables go.
-- Nothing is lost, so `migrate down` needs no --yes for the tables it drops (tested forward and back):
-- rows kept: location_fix, location_fix_superseded, vehicle_key, organization_key, lake_day
CREATE TABLE location_update_v1 (
  vehicle_id      TEXT NOT NULL,
  at              TEXT NOT NULL,
  lat             REAL NOT NULL,
  lng             REAL NOT NULL,
  organization_id TEXT,
  lake_date       TEXT NOT NULL,
  event_at        TEXT NOT NULL,
  lake_object_id  INTEGER,
  PRIMARY KEY (vehicle_id, at)
) WITHOUT ROWID;
INSERT INTO location_update_v1 SELECT * FROM location_update ORDER BY vehicle_id, at;

CREATE TABLE lake_location_superseded_v1 (
  vehicle_id      TEXT NOT NULL,
  at              TEXT NOT NULL,
  lake_date       TEXT NOT NULL,
  event_at        TEXT NOT NULL,
  lat             REAL NOT NULL,
  lng             REAL NOT NULL,
  organization_id TEXT,
  lake_object_id  INTEGER,
  PRIMARY KEY (vehicle_id, at, lake_date)
) WITHOUT ROWID;
INSERT INTO lake_location_superseded_v1 SELECT * FROM lake_location_superseded ORDER BY vehicle_id, at, lake_date;

DROP VIEW location_update;
DROP VIEW lake_location_superseded;
DROP TABLE location_fix;
DROP TABLE location_fix_superseded;
DROP TABLE vehicle_key;
DROP TABLE organization_key;
DROP TABLE lake_day;
ALTER TABLE location_update_v1 RENAME TO location_update;
ALTER TABLE lake_location_superseded_v1 RENAME TO lake_location_superseded;
CREATE INDEX lake_location_superseded_by_date ON lake_location_superseded (lake_date);
