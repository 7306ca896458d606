-- location_update's two BRIN indexes (on `at` for analysts, on lake_date for re-loading a date)
-- become one BRIN on both columns: a condition on either column alone still uses it. PostgreSQL
-- 15 pays a fixed price per BRIN index for every row inserted (it looks up the range map page each
-- time, even for block ranges not yet summarised): one index instead of two took 0.5 s of the
-- server's 4.7 s for the bench's 1M-row COPY (docs/decisions.md).
DROP INDEX {{schema}}.location_update_at_brin;
DROP INDEX {{schema}}.location_update_by_lake_date;
CREATE INDEX location_update_at_lake_date_brin ON {{schema}}.location_update USING brin (at, lake_date);
