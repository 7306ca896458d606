-- Each version of a fix is stored once, as PostgreSQL does since its first migration: the winner
-- in location_update (with the lake date that brought it), every other date's best version in
-- lake_location_superseded. Winners and superseded versions together are still every date's
-- contribution, so re-loading a date can always elect again; a first load writes each fix once.
CREATE TABLE lake_location_superseded (
  vehicle_id      TEXT NOT NULL,
  at              TEXT NOT NULL,
  lake_date       TEXT NOT NULL,
  event_at        TEXT NOT NULL,
  lat             REAL NOT NULL,
  lng             REAL NOT NULL,
  organization_id TEXT,
  PRIMARY KEY (vehicle_id, at, lake_date)
) WITHOUT ROWID;
CREATE INDEX lake_location_superseded_by_date ON lake_location_superseded (lake_date);

INSERT INTO lake_location_superseded
SELECT l.vehicle_id, l.at, l.lake_date, l.event_at, l.lat, l.lng, l.organization_id
FROM lake_location_update l
WHERE NOT EXISTS (SELECT 1 FROM location_update u
                  WHERE u.vehicle_id = l.vehicle_id AND u.at = l.at AND u.lake_date = l.lake_date);
DROP TABLE lake_location_update;

-- Re-loading a date finds the winners it holds.
CREATE INDEX location_update_by_lake_date ON location_update (lake_date);

-- No index on `at`: inserting into it costs a random-order B-tree insert per fix (three times
-- the whole load). A time window is read vehicle by vehicle through the primary key instead.
DROP INDEX location_update_by_at;
