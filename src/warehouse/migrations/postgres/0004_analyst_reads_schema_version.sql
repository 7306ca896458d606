-- d2d report (run by an analyst) checks the schema version before it reads: where the analyst
-- role was granted this schema, it may read schema_migration too. current_schema() names the
-- schema without splicing it into a string literal.
SET LOCAL search_path = {{schema}};
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'd2d_analyst')
     AND has_schema_privilege('d2d_analyst', current_schema(), 'USAGE') THEN
    GRANT SELECT ON schema_migration TO d2d_analyst;
  END IF;
END
$$;
RESET search_path;
