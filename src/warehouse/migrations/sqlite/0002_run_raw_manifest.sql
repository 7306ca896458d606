-- What each run loaded: the MD5 of the raw zone's manifest (key, size and MD5 of every object).
-- A later run of the same date with the same manifest and code version has nothing to do.
-- `unchanged` marks the runs that found exactly that and loaded nothing.
ALTER TABLE etl_run ADD COLUMN raw_manifest_md5 TEXT;
ALTER TABLE etl_run ADD COLUMN unchanged INTEGER NOT NULL DEFAULT 0;
