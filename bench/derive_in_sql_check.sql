-- Compares what bench/derive_in_sql.sql derived (its temporary tables, same session) with d2d's own
-- tables in the schema: every row equal (distance within 1e-6 m, updates and breaks exactly), else
-- an error (psql exits 3 under ON_ERROR_STOP). Usage: psql -v schema=S -1 -f bench/derive_in_sql.sql
-- -f bench/derive_in_sql_check.sql
\if :{?schema}
\else
\set schema vehicle_analytics
\endif

SELECT count(d.vehicle_id) AS rows_d2d,
       count(*) FILTER (WHERE s.vehicle_id IS NULL) AS only_d2d,
       count(*) FILTER (WHERE d.vehicle_id IS NULL) AS only_sql,
       count(*) FILTER (WHERE abs(s.distance_m - d.distance_m) > 1e-6 OR s.updates <> d.updates) AS differ,
       COALESCE(max(abs(s.distance_m - d.distance_m)), 0) AS max_diff_m,
       (SELECT count(*) FROM (SELECT vehicle_id, start_at, end_at FROM sql_break
                              EXCEPT ALL SELECT vehicle_id, start_at, end_at FROM :"schema".vehicle_break) x)
       + (SELECT count(*) FROM (SELECT vehicle_id, start_at, end_at FROM :"schema".vehicle_break
                                EXCEPT ALL SELECT vehicle_id, start_at, end_at FROM sql_break) y) AS breaks_differ,
       (SELECT count(*) FROM sql_break) AS breaks
FROM sql_distance s
FULL JOIN :"schema".vehicle_operating_period_distance d USING (operating_period_id, vehicle_id)
\gset

SELECT :only_d2d + :only_sql + :differ + :breaks_differ = 0 AS equal \gset
\if :equal
\echo derive_in_sql: equal to d2d: :rows_d2d distance rows (max difference :max_diff_m m), :breaks breaks
\else
\echo derive_in_sql: DIFFERS from d2d: :only_d2d rows only in d2d, :only_sql only in SQL, :differ differ, :breaks_differ breaks differ
DO $$ BEGIN RAISE EXCEPTION 'the SQL derivation differs from d2d''s'; END $$;
\endif
