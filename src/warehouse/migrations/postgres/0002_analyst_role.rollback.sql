DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'd2d_analyst') THEN
    REVOKE ALL ON ALL TABLES IN SCHEMA {{schema}} FROM d2d_analyst;
    REVOKE USAGE ON SCHEMA {{schema}} FROM d2d_analyst;
  END IF;
END
$$;
