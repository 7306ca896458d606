DROP INDEX {{schema}}.location_update_by_lake_date;
CREATE INDEX location_update_by_lake_date ON {{schema}}.location_update (lake_date);
