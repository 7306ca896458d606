-- The phase a running run is in (extract, transform, load, derive), or the one a failed run failed
-- in, so that the grid and `d2d status` mark that phase only. NULL once a run succeeded, and for
-- runs recorded before this column.
ALTER TABLE {{schema}}.etl_run ADD COLUMN phase text
  CHECK (phase IN ('extract', 'transform', 'load', 'derive'));
