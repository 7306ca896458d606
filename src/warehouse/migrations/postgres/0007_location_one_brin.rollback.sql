DROP INDEX {{schema}}.location_update_at_lake_date_brin;
CREATE INDEX location_update_by_lake_date ON {{schema}}.location_update USING brin (lake_date);
CREATE INDEX location_update_at_brin ON {{schema}}.location_update USING brin (at);
