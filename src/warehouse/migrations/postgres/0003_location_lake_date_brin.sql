-- location_update is the one large table; its rows arrive a lake date at a time, so a BRIN
-- index finds a date's rows (when the date is loaded again) for a fraction of what a B-tree
-- costs on every insert. Measured with `make bench`: see docs/decisions.md.
DROP INDEX {{schema}}.location_update_by_lake_date;
CREATE INDEX location_update_by_lake_date ON {{schema}}.location_update USING brin (lake_date);
