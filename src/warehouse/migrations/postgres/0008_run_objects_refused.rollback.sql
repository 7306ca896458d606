ALTER TABLE {{schema}}.etl_run DROP COLUMN objects_refused;
