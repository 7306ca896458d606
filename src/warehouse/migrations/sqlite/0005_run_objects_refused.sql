-- Source objects a run skipped because their key could not be used as a path in the lake
-- (`..` or `.` segments, a leading '/', a backslash, control characters: SPEC §7).
ALTER TABLE etl_run ADD COLUMN objects_refused INTEGER NOT NULL DEFAULT 0;
