-- Freshness (SPEC §8): the objects of each lake date the warehouse holds, so that a run loads only
-- the objects its date gained (incremental) and knows when one changed or vanished (full reload).
-- Written in the load's transaction: it always says exactly what the committed rows came from.
CREATE TABLE {{schema}}.lake_object (
  lake_object_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  lake_date      date NOT NULL,
  source         text NOT NULL,  -- the object's key as text (non-UTF-8 bytes as U+FFFD), as rejected_event.source
  object_key     bytea NOT NULL,  -- the key's exact bytes: keys are untrusted, two may read alike as text
  size           bigint NOT NULL,
  md5            text NOT NULL,
  run_id         bigint NOT NULL,  -- the run that loaded it (etl_run)
  lines          bigint NOT NULL DEFAULT 0,  -- read, valid and rejected
  lines_rejected bigint NOT NULL DEFAULT 0,
  UNIQUE (lake_date, object_key)
);
-- Lineage: the object each stored fix version came from (NULL for rows loaded before lineage). No
-- foreign key: a full reload of a date replaces its objects and its rows in one transaction.
ALTER TABLE {{schema}}.location_update ADD COLUMN lake_object_id bigint;
ALTER TABLE {{schema}}.lake_location_superseded ADD COLUMN lake_object_id bigint;
-- The exact sum behind distance_m, in nanometres (model/distance.h): an incremental load updates a
-- stored distance by the changed stretch of track. NULL for rows derived before; those are derived
-- again from the track when a change reaches them.
ALTER TABLE {{schema}}.vehicle_operating_period_distance ADD COLUMN distance_nm bigint;
-- How a run loaded: 'full' (every object of the date) or 'incremental' (only new ones); NULL for
-- runs that loaded nothing and for runs recorded before this column.
ALTER TABLE {{schema}}.etl_run ADD COLUMN load_mode text CHECK (load_mode IN ('full', 'incremental'));
ALTER TABLE {{schema}}.etl_run ADD COLUMN objects_loaded bigint;
-- Where the analyst role reads the schema, it reads where rows came from too.
SET LOCAL search_path = {{schema}};
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'd2d_analyst')
     AND has_schema_privilege('d2d_analyst', current_schema(), 'USAGE') THEN
    GRANT SELECT ON lake_object TO d2d_analyst;
  END IF;
END
$$;
RESET search_path;
