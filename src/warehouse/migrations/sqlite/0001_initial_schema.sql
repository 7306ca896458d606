-- The analyst-facing relations (SPEC §5) and the per-lake-date contributions they are derived
-- from. Timestamps are ISO-8601 UTC text of fixed width (YYYY-MM-DDTHH:MM:SS.ffffffZ), so text
-- order is time order.

-- What each lake date contributed, kept so that re-loading or removing one date can recompute
-- the winners of SPEC §4 from all the others (order independence and idempotency).
CREATE TABLE lake_location_update (
  vehicle_id      TEXT NOT NULL,
  at              TEXT NOT NULL,
  lake_date       TEXT NOT NULL,
  event_at        TEXT NOT NULL,
  lat             REAL NOT NULL,
  lng             REAL NOT NULL,
  organization_id TEXT,
  PRIMARY KEY (vehicle_id, at, lake_date)
) WITHOUT ROWID;
CREATE INDEX lake_location_update_by_date ON lake_location_update (lake_date);

CREATE TABLE lake_operating_period_event (
  operating_period_id TEXT NOT NULL,
  lake_date           TEXT NOT NULL,
  event_at            TEXT NOT NULL,
  deleted             INTEGER NOT NULL,
  start_at            TEXT,
  finish_at           TEXT,
  organization_id     TEXT,
  PRIMARY KEY (operating_period_id, lake_date)
) WITHOUT ROWID;
CREATE INDEX lake_operating_period_event_by_date ON lake_operating_period_event (lake_date);

CREATE TABLE lake_vehicle (
  vehicle_id           TEXT NOT NULL,
  lake_date            TEXT NOT NULL,
  first_registered_at  TEXT,
  last_deregistered_at TEXT,
  organization_id      TEXT,
  organization_at      TEXT,  -- `at` of the latest event that named the organization
  PRIMARY KEY (vehicle_id, lake_date)
) WITHOUT ROWID;
CREATE INDEX lake_vehicle_by_date ON lake_vehicle (lake_date);

CREATE TABLE lake_break_event (
  vehicle_id TEXT NOT NULL,
  at         TEXT NOT NULL,
  is_start   INTEGER NOT NULL,
  lake_date  TEXT NOT NULL,
  PRIMARY KEY (vehicle_id, at, is_start, lake_date)
) WITHOUT ROWID;
CREATE INDEX lake_break_event_by_date ON lake_break_event (lake_date);

-- Analyst relations.
CREATE TABLE vehicle (
  vehicle_id           TEXT PRIMARY KEY,
  organization_id      TEXT,
  first_registered_at  TEXT,
  last_deregistered_at TEXT
) WITHOUT ROWID;

CREATE TABLE location_update (
  vehicle_id      TEXT NOT NULL,
  at              TEXT NOT NULL,
  lat             REAL NOT NULL,
  lng             REAL NOT NULL,
  organization_id TEXT,
  lake_date       TEXT NOT NULL,  -- the lake date whose version won
  event_at        TEXT NOT NULL,
  PRIMARY KEY (vehicle_id, at)
) WITHOUT ROWID;
CREATE INDEX location_update_by_at ON location_update (at);

CREATE TABLE operating_period (
  operating_period_id TEXT PRIMARY KEY,
  start_at            TEXT,  -- null when the winning event is a delete
  finish_at           TEXT,
  deleted             INTEGER NOT NULL,
  organization_id     TEXT,
  event_at            TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE vehicle_break (
  vehicle_id TEXT NOT NULL,
  start_at   TEXT NOT NULL,
  end_at     TEXT,  -- null while the break is open
  PRIMARY KEY (vehicle_id, start_at)
) WITHOUT ROWID;

CREATE TABLE vehicle_operating_period_distance (
  operating_period_id TEXT NOT NULL,
  vehicle_id          TEXT NOT NULL,
  distance_m          REAL NOT NULL,
  updates             INTEGER NOT NULL,
  PRIMARY KEY (operating_period_id, vehicle_id)
) WITHOUT ROWID;

CREATE VIEW operating_period_avg_distance AS
SELECT p.operating_period_id,
       p.start_at,
       p.finish_at,
       p.organization_id,
       COUNT(d.vehicle_id)              AS vehicles,
       AVG(d.distance_m)                AS avg_distance_m,
       COALESCE(SUM(d.distance_m), 0.0) AS total_distance_m
FROM operating_period p
LEFT JOIN vehicle_operating_period_distance d ON d.operating_period_id = p.operating_period_id
WHERE p.deleted = 0
GROUP BY p.operating_period_id, p.start_at, p.finish_at, p.organization_id;

CREATE TABLE rejected_event (
  lake_date   TEXT NOT NULL,
  source      TEXT NOT NULL,
  line        INTEGER NOT NULL,
  reason_code TEXT NOT NULL,
  reason      TEXT NOT NULL,
  raw         TEXT NOT NULL,     -- the line verbatim, cut at raw_length > 4096 bytes
  raw_length  INTEGER NOT NULL,  -- the full length of the line in bytes
  PRIMARY KEY (lake_date, source, line)
) WITHOUT ROWID;

CREATE TABLE etl_run (
  run_id          INTEGER PRIMARY KEY,
  lake_date       TEXT NOT NULL,
  status          TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
  started_at      TEXT NOT NULL,
  finished_at     TEXT,
  extract_ms      INTEGER,
  transform_ms    INTEGER,
  load_ms         INTEGER,
  derive_ms       INTEGER,
  objects         INTEGER,
  objects_copied  INTEGER,
  bytes           INTEGER,
  events_read     INTEGER,
  events_rejected INTEGER,
  rows_loaded     INTEGER,
  periods_derived INTEGER,
  code_version    TEXT NOT NULL,
  error           TEXT
);
CREATE INDEX etl_run_by_date ON etl_run (lake_date, run_id);
