-- Storage v2 (SPEC §5: the relations' names, columns and values are the contract, not the
-- storage). A fix is stored under an integer vehicle key, the organization as a small integer key,
-- the lake date as a day number (its text in the small lake_day table) and event_at only where it
-- differs from `at`; `at` stays ISO text in the key, so analysts' time filters on location_update
-- still narrow the primary key (docs/decisions.md, "Storage v2"). location_update and lake_location_superseded become views
-- with exactly the columns, order and values of the tables they replace.

-- The dimensions. Keys are given in vehicle_id order here and in first-seen (key) order by a
-- load, so a first load appends to location_fix; the loader owns the keys (no foreign keys).
CREATE TABLE vehicle_key (
  vehicle_key INTEGER PRIMARY KEY,
  vehicle_id  TEXT NOT NULL UNIQUE
);
CREATE TABLE organization_key (
  organization_key INTEGER PRIMARY KEY,
  organization_id  TEXT NOT NULL UNIQUE
);
-- The lake dates as text, for the views: a join to this small table reads faster than formatting
-- the date of every row (docs/decisions.md, "Storage v2").
CREATE TABLE lake_day (
  lake_day  INTEGER PRIMARY KEY,  -- days since 1970-01-01
  lake_date TEXT NOT NULL UNIQUE
);
INSERT INTO lake_day (lake_day, lake_date)
SELECT unixepoch(lake_date) / 86400, lake_date
FROM (SELECT lake_date FROM location_update UNION SELECT lake_date FROM lake_location_superseded);
INSERT INTO vehicle_key (vehicle_id)
SELECT vehicle_id FROM (SELECT vehicle_id FROM location_update
                        UNION SELECT vehicle_id FROM lake_location_superseded)
ORDER BY vehicle_id;
INSERT INTO organization_key (organization_id)
SELECT organization_id FROM (SELECT organization_id FROM location_update
                             UNION SELECT organization_id FROM lake_location_superseded)
WHERE organization_id IS NOT NULL
ORDER BY organization_id;

-- Each fix's winning version (what location_update shows).
CREATE TABLE location_fix (
  vehicle_key      INTEGER NOT NULL,
  at               TEXT NOT NULL,
  lat              REAL NOT NULL,
  lng              REAL NOT NULL,
  organization_key INTEGER,           -- NULL: the fix named no organization
  lake_day         INTEGER NOT NULL,  -- the lake date that brought the winner, days since 1970-01-01
  event_at         TEXT,              -- NULL when equal to `at` (most fixes): stored in 0 bytes
  lake_object_id   INTEGER,
  PRIMARY KEY (vehicle_key, at)
) WITHOUT ROWID;
INSERT INTO location_fix
SELECT k.vehicle_key, u.at, u.lat, u.lng, o.organization_key, unixepoch(u.lake_date) / 86400,
       NULLIF(u.event_at, u.at), u.lake_object_id
FROM location_update u
JOIN vehicle_key k ON k.vehicle_id = u.vehicle_id
LEFT JOIN organization_key o ON o.organization_id = u.organization_id
ORDER BY k.vehicle_key, u.at;

-- Every other date's best version of a fix (what lake_location_superseded shows).
CREATE TABLE location_fix_superseded (
  vehicle_key      INTEGER NOT NULL,
  at               TEXT NOT NULL,
  lat              REAL NOT NULL,
  lng              REAL NOT NULL,
  organization_key INTEGER,
  lake_day         INTEGER NOT NULL,
  event_at         TEXT,
  lake_object_id   INTEGER,
  PRIMARY KEY (vehicle_key, at, lake_day)
) WITHOUT ROWID;
INSERT INTO location_fix_superseded
SELECT k.vehicle_key, s.at, s.lat, s.lng, o.organization_key, unixepoch(s.lake_date) / 86400,
       NULLIF(s.event_at, s.at), s.lake_object_id
FROM lake_location_superseded s
JOIN vehicle_key k ON k.vehicle_id = s.vehicle_id
LEFT JOIN organization_key o ON o.organization_id = s.organization_id
ORDER BY k.vehicle_key, s.at, unixepoch(s.lake_date) / 86400;
-- A full reload of a date removes its superseded versions.
CREATE INDEX location_fix_superseded_by_day ON location_fix_superseded (lake_day);

DROP TABLE location_update;
DROP TABLE lake_location_superseded;

CREATE VIEW location_update AS
SELECT k.vehicle_id, f.at, f.lat, f.lng, o.organization_id, d.lake_date, COALESCE(f.event_at, f.at) AS event_at,
       f.lake_object_id
FROM location_fix f
JOIN vehicle_key k ON k.vehicle_key = f.vehicle_key
LEFT JOIN organization_key o ON o.organization_key = f.organization_key
LEFT JOIN lake_day d ON d.lake_day = f.lake_day;

CREATE VIEW lake_location_superseded AS
SELECT k.vehicle_id, f.at, d.lake_date, COALESCE(f.event_at, f.at) AS event_at, f.lat, f.lng, o.organization_id,
       f.lake_object_id
FROM location_fix_superseded f
JOIN vehicle_key k ON k.vehicle_key = f.vehicle_key
LEFT JOIN organization_key o ON o.organization_key = f.organization_key
LEFT JOIN lake_day d ON d.lake_day = f.lake_day;
