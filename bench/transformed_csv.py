"""Writes the location rows a lake date yields, already transformed, as CSV in arrival order.

Used by bench/run.sh to give `psql \\copy` (the warehouse limit) and the row-by-row baseline the
same rows d2d loads. Validation is the independent oracle's (tests/integration/reference_answer.py),
so the row set is exactly d2d's: one row per (vehicle_id, location.at), the winner of SPEC §4,
in the order the key first appears in the files. Standard library only; run with /usr/bin/python3.
Usage: transformed_csv.py SOURCE_DIR LAKE_DATE > rows.csv
"""
import csv
import datetime
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "integration"))
import reference_answer as oracle  # noqa: E402

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def iso(micros):
    return (EPOCH + datetime.timedelta(microseconds=micros)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def main():
    source, date = sys.argv[1], sys.argv[2]
    rows = {}
    for path in oracle.iter_objects(source, [date]):
        for line in oracle.iter_lines(path):
            event = oracle.parse_line(line)
            if event is None or event[0] != "update":
                continue
            _, vid, fix_at, at, lat, lng, org = event
            version = (at, lat, lng, org or "")
            key = (vid, fix_at)
            if key not in rows or version > rows[key][0]:
                rows[key] = (version, [vid, iso(fix_at), repr(float(lat)), repr(float(lng)), org or "", date, iso(at)])
    out = csv.writer(sys.stdout, lineterminator="\n")
    for _version, row in rows.values():  # dicts keep first-insertion order: arrival order
        out.writerow(row)


if __name__ == "__main__":
    main()
