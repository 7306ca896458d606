CREATE INDEX location_update_by_lake_date ON location_update (lake_date);
DROP TABLE lake_location_span;
