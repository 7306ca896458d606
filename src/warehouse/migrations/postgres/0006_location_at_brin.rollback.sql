DROP INDEX {{schema}}.location_update_at_brin;
CREATE INDEX location_update_by_at ON {{schema}}.location_update (at);
