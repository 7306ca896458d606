ALTER TABLE {{schema}}.etl_run DROP COLUMN unchanged, DROP COLUMN raw_manifest_md5;
