-- PostgreSQL twin of migrations/sqlite/0001: the same relations, typed (timestamptz, date,
-- boolean). Identifiers use COLLATE "C" so ordering and tie-breaks are bytewise, exactly as in
-- SQLite, whatever the database's locale. {{schema}} is replaced by the quoted schema name.
CREATE SCHEMA IF NOT EXISTS {{schema}};

-- Every version of a fix lives in exactly one place: the winner in location_update, the
-- others here, with the lake date that brought them (differs from SQLite, which keeps all
-- versions per date: this way a first load writes each row once; see docs/decisions.md).
CREATE TABLE {{schema}}.lake_location_superseded (
  vehicle_id      text COLLATE "C" NOT NULL,
  at              timestamptz NOT NULL,
  lake_date       date NOT NULL,
  event_at        timestamptz NOT NULL,
  lat             double precision NOT NULL,
  lng             double precision NOT NULL,
  organization_id text COLLATE "C",
  PRIMARY KEY (vehicle_id, at, lake_date)
);
CREATE INDEX lake_location_superseded_by_date ON {{schema}}.lake_location_superseded (lake_date);

CREATE TABLE {{schema}}.lake_operating_period_event (
  operating_period_id text COLLATE "C" NOT NULL,
  lake_date           date NOT NULL,
  event_at            timestamptz NOT NULL,
  deleted             boolean NOT NULL,
  start_at            timestamptz,
  finish_at           timestamptz,
  organization_id     text COLLATE "C",
  PRIMARY KEY (operating_period_id, lake_date)
);
CREATE INDEX lake_operating_period_event_by_date ON {{schema}}.lake_operating_period_event (lake_date);

CREATE TABLE {{schema}}.lake_vehicle (
  vehicle_id           text COLLATE "C" NOT NULL,
  lake_date            date NOT NULL,
  first_registered_at  timestamptz,
  last_deregistered_at timestamptz,
  organization_id      text COLLATE "C",
  organization_at      timestamptz,
  PRIMARY KEY (vehicle_id, lake_date)
);
CREATE INDEX lake_vehicle_by_date ON {{schema}}.lake_vehicle (lake_date);

CREATE TABLE {{schema}}.lake_break_event (
  vehicle_id text COLLATE "C" NOT NULL,
  at         timestamptz NOT NULL,
  is_start   boolean NOT NULL,
  lake_date  date NOT NULL,
  PRIMARY KEY (vehicle_id, at, is_start, lake_date)
);
CREATE INDEX lake_break_event_by_date ON {{schema}}.lake_break_event (lake_date);

CREATE TABLE {{schema}}.vehicle (
  vehicle_id           text COLLATE "C" PRIMARY KEY,
  organization_id      text COLLATE "C",
  first_registered_at  timestamptz,
  last_deregistered_at timestamptz
);

CREATE TABLE {{schema}}.location_update (
  vehicle_id      text COLLATE "C" NOT NULL,
  at              timestamptz NOT NULL,
  lat             double precision NOT NULL,
  lng             double precision NOT NULL,
  organization_id text COLLATE "C",
  lake_date       date NOT NULL,
  event_at        timestamptz NOT NULL,
  PRIMARY KEY (vehicle_id, at)
);
CREATE INDEX location_update_by_at ON {{schema}}.location_update (at);
CREATE INDEX location_update_by_lake_date ON {{schema}}.location_update (lake_date);

CREATE TABLE {{schema}}.operating_period (
  operating_period_id text COLLATE "C" PRIMARY KEY,
  start_at            timestamptz,
  finish_at           timestamptz,
  deleted             boolean NOT NULL,
  organization_id     text COLLATE "C",
  event_at            timestamptz NOT NULL
);

CREATE TABLE {{schema}}.vehicle_break (
  vehicle_id text COLLATE "C" NOT NULL,
  start_at   timestamptz NOT NULL,
  end_at     timestamptz,
  PRIMARY KEY (vehicle_id, start_at)
);

CREATE TABLE {{schema}}.vehicle_operating_period_distance (
  operating_period_id text COLLATE "C" NOT NULL,
  vehicle_id          text COLLATE "C" NOT NULL,
  distance_m          double precision NOT NULL,
  updates             bigint NOT NULL,
  PRIMARY KEY (operating_period_id, vehicle_id)
);

CREATE VIEW {{schema}}.operating_period_avg_distance AS
SELECT p.operating_period_id,
       p.start_at,
       p.finish_at,
       p.organization_id,
       COUNT(d.vehicle_id)              AS vehicles,
       AVG(d.distance_m)                AS avg_distance_m,
       COALESCE(SUM(d.distance_m), 0.0) AS total_distance_m
FROM {{schema}}.operating_period p
LEFT JOIN {{schema}}.vehicle_operating_period_distance d ON d.operating_period_id = p.operating_period_id
WHERE NOT p.deleted
GROUP BY p.operating_period_id, p.start_at, p.finish_at, p.organization_id;

CREATE TABLE {{schema}}.rejected_event (
  lake_date   date NOT NULL,
  source      text NOT NULL,
  line        bigint NOT NULL,
  reason_code text NOT NULL,
  reason      text NOT NULL,
  raw         bytea NOT NULL,   -- verbatim bytes (text would refuse invalid UTF-8), cut at 4096
  raw_length  bigint NOT NULL,
  PRIMARY KEY (lake_date, source, line)
);

CREATE TABLE {{schema}}.etl_run (
  run_id          bigserial PRIMARY KEY,
  lake_date       date NOT NULL,
  status          text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
  started_at      timestamptz NOT NULL,
  finished_at     timestamptz,
  extract_ms      bigint,
  transform_ms    bigint,
  load_ms         bigint,
  derive_ms       bigint,
  objects         bigint,
  objects_copied  bigint,
  bytes           bigint,
  events_read     bigint,
  events_rejected bigint,
  rows_loaded     bigint,
  periods_derived bigint,
  code_version    text NOT NULL,
  error           text
);
CREATE INDEX etl_run_by_date ON {{schema}}.etl_run (lake_date, run_id);
