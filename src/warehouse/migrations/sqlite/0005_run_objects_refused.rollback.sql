ALTER TABLE etl_run DROP COLUMN objects_refused;
