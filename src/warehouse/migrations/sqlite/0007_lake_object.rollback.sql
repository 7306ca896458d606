ALTER TABLE etl_run DROP COLUMN objects_loaded;
ALTER TABLE etl_run DROP COLUMN load_mode;
DROP TABLE lake_object;
