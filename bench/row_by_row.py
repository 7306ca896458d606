"""The original design, as the baseline: one INSERT per row, autocommit, psycopg2.

Reads the first N rows of the CSV from bench/transformed_csv.py and inserts them one at a time
into a keyed table, then prints rows and seconds. Run with /usr/bin/python3 (Debian's psycopg2).
Usage: row_by_row.py URI SCHEMA ROWS.csv N
"""
import csv
import itertools
import sys
import time

import psycopg2


def main():
    uri, schema, path, limit = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    conn = psycopg2.connect(uri)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE; CREATE SCHEMA "{schema}"')
    cur.execute(
        f'CREATE TABLE "{schema}".location_update (vehicle_id text, at timestamptz, lat float8, lng float8, '
        "organization_id text, lake_date date, event_at timestamptz, PRIMARY KEY (vehicle_id, at))"
    )
    rows = list(itertools.islice(csv.reader(open(path)), limit))
    started = time.perf_counter()
    for row in rows:
        cur.execute(
            f'INSERT INTO "{schema}".location_update VALUES (%s, %s, %s, %s, NULLIF(%s, \'\'), %s, %s)', row
        )
    elapsed = time.perf_counter() - started
    print(f"{len(rows)} {elapsed:.3f}")


if __name__ == "__main__":
    main()
