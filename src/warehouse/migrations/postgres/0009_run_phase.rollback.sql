ALTER TABLE {{schema}}.etl_run DROP COLUMN phase;
