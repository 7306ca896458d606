DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'd2d_analyst') THEN
    REVOKE ALL ON {{schema}}.schema_migration FROM d2d_analyst;
  END IF;
END
$$;
