"""The original design, as the baseline (issues 3 and 5): json.loads line by line, then one
INSERT per GPS fix with psycopg2 in autocommit, into a keyed table.

Reads the first N non-blank lines of one lake date's files (sorted, as bench/run.sh gives them),
so it does the work of the original pipeline on a sample that bench/run.sh extrapolates per
event. Lines that are not JSON, fixes without the fields and values the server refuses are skipped; a fix seen twice is
kept once (ON CONFLICT DO NOTHING). Run with /usr/bin/python3 (Debian's python3-psycopg2).
Prints: LINES ROWS SECONDS (the timed loop only, after connecting and creating the table).
Usage: row_by_row.py URI SCHEMA DIR N
"""
import itertools
import json
import os
import sys
import time

import psycopg2


def lines(directory):
    paths = sorted(os.path.join(root, name) for root, _, names in os.walk(directory) for name in names)
    for path in paths:
        with open(path, "rb") as f:
            for line in f:
                if line.strip(b" \t\r\n\xef\xbb\xbf"):
                    yield line


def main():
    uri, schema, directory, limit = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    conn = psycopg2.connect(uri)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE; CREATE SCHEMA "{schema}"')
    cur.execute(
        f'CREATE TABLE "{schema}".location_update (vehicle_id text, at timestamptz, lat float8, lng float8, '
        "organization_id text, event_at timestamptz, PRIMARY KEY (vehicle_id, at))"
    )
    insert = f'INSERT INTO "{schema}".location_update VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING'
    sample = list(itertools.islice(lines(directory), limit))
    rows = 0
    started = time.perf_counter()
    for line in sample:
        try:
            event = json.loads(line.decode("utf-8").lstrip("\ufeff"))
            if event["on"] != "vehicle" or event["event"] != "update":
                continue
            data, location = event["data"], event["data"]["location"]
            cur.execute(
                insert,
                (data["id"], location["at"], location["lat"], location["lng"], event.get("organization_id"), event["at"]),
            )
            rows += 1
        except (ValueError, KeyError, TypeError, psycopg2.DataError, psycopg2.ProgrammingError):
            continue
    elapsed = time.perf_counter() - started
    print(f"{len(sample)} {rows} {elapsed:.3f}")


if __name__ == "__main__":
    main()
