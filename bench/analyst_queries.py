#!/usr/bin/python3
"""What a loaded warehouse costs analysts: its stored bytes per fix, and the time of two queries
an analyst runs against the SPEC §5 relations, whatever storage is behind them.

    analyst_queries.py sqlite DB_FILE CONTENDER
    analyst_queries.py postgresql URI SCHEMA CONTENDER

Prints tab-separated lines for bench/report.py:
    CONTENDER  bytes  BYTES  FIXES
    CONTENDER  QUERY  MEDIAN_MS  MIN_MS  MAX_MS  ROWS
QUERY is vehicle_day (one vehicle's fixes over the lake date, in time order) or fleet_hour (every
fix of the fleet in one hour, 12:00 to 13:00 UTC). Each query runs RUNS times after one untimed
run (so both engines are timed from their cache, as an analyst's repeated query is); the median is
what the report shows. The vehicle is the one with the most fixes, found untimed.

Bytes: SQLite, the database file after a checkpoint that empties the WAL (what the file costs on
disk); PostgreSQL, pg_total_relation_size of every table and materialized view of the schema
(tables, their indexes and TOAST).
"""
import statistics
import sys
import time

RUNS = 7
DAY = "2024-04-01"  # the bench's lake date (bench/run.sh)
VEHICLE_DAY = (
    "SELECT vehicle_id, at, lat, lng, organization_id, lake_date FROM {s}location_update "
    "WHERE vehicle_id = {p} AND at >= {p} AND at < {p} ORDER BY at"
)
FLEET_HOUR = (
    "SELECT vehicle_id, at, lat, lng, organization_id, lake_date FROM {s}location_update "
    "WHERE at >= {p} AND at < {p}"
)


def timed(run, query, params):
    run(query, params)  # untimed: the cache as a repeated query finds it
    times, rows = [], 0
    for _ in range(RUNS):
        started = time.perf_counter()
        rows = len(run(query, params))
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), min(times), max(times), rows


def report(contender, bytes_, fixes, run, placeholder, schema, day_start, day_end, hour_start, hour_end):
    print(f"{contender}\tbytes\t{bytes_}\t{fixes}")
    vehicle = run(
        f"SELECT vehicle_id FROM {schema}location_update GROUP BY vehicle_id ORDER BY COUNT(*) DESC, vehicle_id LIMIT 1",
        (),
    )[0][0]
    q = VEHICLE_DAY.format(s=schema, p=placeholder)
    print(contender, "vehicle_day", *(f"{v:.2f}" if isinstance(v, float) else v for v in timed(run, q, (vehicle, day_start, day_end))), sep="\t")
    q = FLEET_HOUR.format(s=schema, p=placeholder)
    print(contender, "fleet_hour", *(f"{v:.2f}" if isinstance(v, float) else v for v in timed(run, q, (hour_start, hour_end))), sep="\t")


def sqlite(path, contender):
    import os
    import sqlite3

    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    bytes_ = os.path.getsize(path)
    fixes = con.execute("SELECT COUNT(*) FROM location_update").fetchone()[0]

    def run(query, params):
        return con.execute(query, params).fetchall()

    # SQLite stores times as ISO-8601 UTC text with microseconds (SPEC §5): compare as text.
    report(contender, bytes_, fixes, run, "?", "", f"{DAY}T00:00:00.000000Z", f"{next_day(DAY)}T00:00:00.000000Z",
           f"{DAY}T12:00:00.000000Z", f"{DAY}T13:00:00.000000Z")


def postgresql(uri, schema, contender):
    import psycopg2

    con = psycopg2.connect(uri)
    con.autocommit = True
    cur = con.cursor()
    cur.execute("SET TimeZone = 'UTC'")
    cur.execute(
        "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relkind IN ('r', 'm')",
        (schema,),
    )
    bytes_ = cur.fetchone()[0]
    s = f'"{schema}".'
    cur.execute(f"SELECT COUNT(*) FROM {s}location_update")
    fixes = cur.fetchone()[0]

    def run(query, params):
        cur.execute(query, params)
        return cur.fetchall()

    report(contender, bytes_, fixes, run, "%s", s, f"{DAY}T00:00:00Z", f"{next_day(DAY)}T00:00:00Z",
           f"{DAY}T12:00:00Z", f"{DAY}T13:00:00Z")


def next_day(day):
    import datetime

    return (datetime.date.fromisoformat(day) + datetime.timedelta(days=1)).isoformat()


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "sqlite":
        sqlite(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 5 and sys.argv[1] == "postgresql":
        postgresql(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit(__doc__)
