CREATE TABLE lake_location_update (
  vehicle_id      TEXT NOT NULL,
  at              TEXT NOT NULL,
  lake_date       TEXT NOT NULL,
  event_at        TEXT NOT NULL,
  lat             REAL NOT NULL,
  lng             REAL NOT NULL,
  organization_id TEXT,
  PRIMARY KEY (vehicle_id, at, lake_date)
) WITHOUT ROWID;
CREATE INDEX lake_location_update_by_date ON lake_location_update (lake_date);
INSERT INTO lake_location_update
SELECT vehicle_id, at, lake_date, event_at, lat, lng, organization_id FROM location_update
UNION ALL
SELECT vehicle_id, at, lake_date, event_at, lat, lng, organization_id FROM lake_location_superseded;
DROP TABLE lake_location_superseded;
DROP INDEX location_update_by_lake_date;
CREATE INDEX location_update_by_at ON location_update (at);
