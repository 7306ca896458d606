ALTER TABLE {{schema}}.vehicle_operating_period_distance DROP COLUMN distance_nm;
ALTER TABLE {{schema}}.etl_run DROP COLUMN objects_loaded;
ALTER TABLE {{schema}}.etl_run DROP COLUMN load_mode;
ALTER TABLE {{schema}}.lake_location_superseded DROP COLUMN lake_object_id;
ALTER TABLE {{schema}}.location_update DROP COLUMN lake_object_id;
DROP TABLE {{schema}}.lake_object;
