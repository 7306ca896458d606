ALTER TABLE etl_run DROP COLUMN unchanged;
ALTER TABLE etl_run DROP COLUMN raw_manifest_md5;
