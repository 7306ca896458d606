-- A read-only role for analysts on the analyst relations, created only when d2d runs with
-- --pg-analyst-role (it sets d2d.create_analyst_role for this transaction): creating roles
-- needs a privilege the loader's account may rightly not have.
DO $$
BEGIN
  IF current_setting('d2d.create_analyst_role', true) = 'on' THEN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'd2d_analyst') THEN
      CREATE ROLE d2d_analyst NOLOGIN;
    END IF;
    GRANT USAGE ON SCHEMA {{schema}} TO d2d_analyst;
    GRANT SELECT ON {{schema}}.vehicle, {{schema}}.location_update, {{schema}}.operating_period,
                    {{schema}}.vehicle_break, {{schema}}.vehicle_operating_period_distance,
                    {{schema}}.operating_period_avg_distance, {{schema}}.rejected_event, {{schema}}.etl_run
      TO d2d_analyst;
  END IF;
END
$$;
