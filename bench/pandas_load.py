"""pandas as the contender "what a user might pick instead" (issue 5): read one lake date's NDJSON
files with read_json(lines=True), keep valid GPS fixes, de-duplicate them by (vehicle, fix time)
with the latest event winning, and load them into SQLite with to_sql.

read_json stops at the first line that is not JSON, so a file that fails is read again from the
lines that json.loads accepts (what a user ends up writing). Validation is lighter than d2d's:
types, ranges and zoned timestamps of the fields the answer needs. Everything is held in memory at
once, as a user of pandas would; bench/run.sh skips the sizes that would not fit.
Run with /usr/bin/python3 (Debian's python3-pandas). Prints "ROWS" loaded.
Usage: pandas_load.py DIR DATABASE.db
"""
import io
import json
import math
import os
import sqlite3
import sys

import pandas as pd

ZONED = r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"


def json_lines(path):
    with open(path, "rb") as f:
        raw = f.read()
    try:
        return pd.read_json(io.BytesIO(raw), lines=True, dtype=False, convert_dates=False)
    except (ValueError, AttributeError, TypeError):  # a line that is not JSON, or not an object
        good = []
        for line in raw.decode("utf-8", errors="replace").lstrip("\ufeff").splitlines():
            try:
                if isinstance(json.loads(line), dict):
                    good.append(line)
            except ValueError:
                pass
        return pd.read_json(io.StringIO("\n".join(good)), lines=True, dtype=False, convert_dates=False)


def timestamps(column):
    text = column.where(column.map(lambda value: isinstance(value, str)))
    zoned = text.str.match(ZONED, na=False)
    return pd.to_datetime(text.where(zoned), utc=True, errors="coerce")


def numbers(column):  # JSON numbers only: "52.5" is a string, not a latitude
    is_number = column.map(lambda value: isinstance(value, (int, float)) and not isinstance(value, bool))
    return pd.to_numeric(column.where(is_number), errors="coerce")


def organization_ok(value):  # a string, null or missing (NaN after read_json)
    return value is None or isinstance(value, str) or (isinstance(value, float) and math.isnan(value))


def fixes(frame):
    updates = frame[(frame["on"] == "vehicle") & (frame["event"] == "update")]
    data = pd.json_normalize(updates["data"].tolist())
    data.index = updates.index
    out = pd.DataFrame(
        {
            "vehicle_id": data.get("id"),
            "at": timestamps(data.get("location.at")),
            "lat": numbers(data.get("location.lat")),
            "lng": numbers(data.get("location.lng")),
            "organization_id": updates["organization_id"] if "organization_id" in updates else None,
            "event_at": timestamps(updates["at"]),
        }
    )
    ok = (
        out["vehicle_id"].map(lambda value: isinstance(value, str) and value != "")
        & out["at"].notna()
        & out["event_at"].notna()
        & out["lat"].between(-90, 90)
        & out["lng"].between(-180, 180)
        & out["organization_id"].map(organization_ok)
    )
    return out[ok]


def main():
    directory, database = sys.argv[1], sys.argv[2]
    paths = sorted(os.path.join(root, name) for root, _, names in os.walk(directory) for name in names)
    frame = pd.concat([json_lines(path) for path in paths], ignore_index=True)
    rows = fixes(frame)
    rows = rows.sort_values(["vehicle_id", "at", "event_at", "lat", "lng"]).drop_duplicates(
        ["vehicle_id", "at"], keep="last"
    )
    rows["at"] = rows["at"].dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    rows["event_at"] = rows["event_at"].dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    rows["organization_id"] = rows["organization_id"].map(lambda value: value if isinstance(value, str) else None)
    with sqlite3.connect(database) as connection:
        connection.execute(
            "CREATE TABLE location_update (vehicle_id TEXT NOT NULL, at TEXT NOT NULL, lat REAL NOT NULL, "
            "lng REAL NOT NULL, organization_id TEXT, event_at TEXT NOT NULL, PRIMARY KEY (vehicle_id, at))"
        )
        rows.to_sql("location_update", connection, if_exists="append", index=False, chunksize=100_000)
    print(len(rows))


if __name__ == "__main__":
    main()
