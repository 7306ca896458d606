-- Where each lake date's fixes lie, per vehicle: the first and last `at` of every version the date
-- brought (the winners and the superseded ones). Re-loading a date finds the winners it holds
-- within these ranges of location_update's primary key instead of through an index on lake_date:
-- that index was a second B-tree insert per fix, and the SQLite engine alone took twice as long
-- with it (bench/sqlite_limit.cpp; docs/decisions.md).
CREATE TABLE lake_location_span (
  lake_date  TEXT NOT NULL,
  vehicle_id TEXT NOT NULL,
  first_at   TEXT NOT NULL,
  last_at    TEXT NOT NULL,
  PRIMARY KEY (lake_date, vehicle_id)
) WITHOUT ROWID;

INSERT INTO lake_location_span
SELECT lake_date, vehicle_id, MIN(at), MAX(at)
FROM (SELECT lake_date, vehicle_id, at FROM location_update
      UNION ALL
      SELECT lake_date, vehicle_id, at FROM lake_location_superseded)
GROUP BY lake_date, vehicle_id;

DROP INDEX location_update_by_lake_date;
