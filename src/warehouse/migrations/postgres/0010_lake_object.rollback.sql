ALTER TABLE {{schema}}.etl_run DROP COLUMN objects_loaded;
ALTER TABLE {{schema}}.etl_run DROP COLUMN load_mode;
DROP TABLE {{schema}}.lake_object;
