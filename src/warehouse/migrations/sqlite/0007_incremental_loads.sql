-- Freshness (SPEC §8): the objects of each lake date the warehouse holds, so that a run loads only
-- the objects its date gained (incremental) and knows when one changed or vanished (full reload).
-- Written in the load's transaction: it always says exactly what the committed rows came from.
CREATE TABLE lake_object (
  lake_object_id INTEGER PRIMARY KEY,
  lake_date      TEXT NOT NULL,
  source         TEXT NOT NULL,  -- the object's key as text (non-UTF-8 bytes as U+FFFD), as rejected_event.source
  object_key     BLOB NOT NULL,  -- the key's exact bytes: keys are untrusted, two may read alike as text
  size           INTEGER NOT NULL,
  md5            TEXT NOT NULL,
  run_id         INTEGER NOT NULL,  -- the run that loaded it (etl_run)
  lines          INTEGER NOT NULL DEFAULT 0,  -- read, valid and rejected
  lines_rejected INTEGER NOT NULL DEFAULT 0,
  UNIQUE (lake_date, object_key)
);
-- Lineage: the object each stored fix version came from (NULL for rows loaded before lineage). No
-- foreign key: a full reload of a date replaces its objects and its rows in one transaction.
ALTER TABLE location_update ADD COLUMN lake_object_id INTEGER;
ALTER TABLE lake_location_superseded ADD COLUMN lake_object_id INTEGER;
-- The exact sum behind distance_m, in nanometres (model/distance.h): an incremental load updates a
-- stored distance by the changed stretch of track. NULL for rows derived before; those are derived
-- again from the track when a change reaches them.
ALTER TABLE vehicle_operating_period_distance ADD COLUMN distance_nm INTEGER;
-- How a run loaded: 'full' (every object of the date) or 'incremental' (only new ones); NULL for
-- runs that loaded nothing and for runs recorded before this column.
ALTER TABLE etl_run ADD COLUMN load_mode TEXT CHECK (load_mode IN ('full', 'incremental'));
ALTER TABLE etl_run ADD COLUMN objects_loaded INTEGER;
