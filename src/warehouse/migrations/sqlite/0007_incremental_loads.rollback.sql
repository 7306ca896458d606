ALTER TABLE vehicle_operating_period_distance DROP COLUMN distance_nm;
ALTER TABLE etl_run DROP COLUMN objects_loaded;
ALTER TABLE etl_run DROP COLUMN load_mode;
ALTER TABLE lake_location_superseded DROP COLUMN lake_object_id;
ALTER TABLE location_update DROP COLUMN lake_object_id;
DROP TABLE lake_object;
