"""Helpers of bench/run.sh for the incremental contenders (issue 19). Standard library only.

  incremental.py split-last-minute SOURCE KEY OUT
      Splits the object SOURCE/KEY in two, written under OUT: OUT/KEY keeps every line but those
      whose event time (`at`) falls in the object's last minute of events, which go, in their
      order and byte for byte, into a new object whose key carries that minute's time in the same
      layout (nested: HH/MM folders and YYYY-MM-DD-HH-MM-S in the file name). Lines that do not
      decode, or whose `at` is not a time, stay in OUT/KEY. Prints: NEW_KEY LINES_MOVED LINES_KEPT.

  incremental.py compare ONE_SHOT_STATE INCREMENTAL_STATE
      Compares two state folders written by run.sh (state_sqlite / state_pg, in
      bench/lib/incremental_checks.sh): every file byte for byte, except the distances and the
      report, whose figures may differ by rounding (relative 1e-9). Prints "equal", or what
      differs and exits 1.
"""
import csv
import datetime as dt
import gzip
import json
import math
import os
import re
import sys

MINUTE_US = 60 * 1_000_000
TIME = re.compile(rb"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$")
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
BOM = b"\xef\xbb\xbf"
# nested: 2024/04/01/23/56/2024-04-01-23-56-22-events.txt; flat: data/2024-04-01-23-56-22-events.json
NAME = re.compile(r"^(?P<folder>.*?)(?P<stamp>\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{1,2})(?P<rest>-events\.[a-z]+(?:\.gz)?)$")


def micros(text):
    """RFC 3339 text (bytes) -> UTC microseconds since the epoch, or None."""
    m = TIME.match(text)
    if not m:
        return None
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    fraction = (m.group(7) or b"").decode()[:6].ljust(6, "0")
    zone = m.group(8)
    try:
        when = dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.timezone.utc)
    except ValueError:
        return None
    us = (when - EPOCH) // dt.timedelta(microseconds=1) + int(fraction)
    if zone not in (b"Z", b"z"):
        sign = 1 if zone[:1] == b"+" else -1
        us -= sign * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60) * 1_000_000
    return us


def event_time(line):
    """The event time of one line (its bytes, ending included), or None when it has none."""
    body = line.rstrip(b"\r\n")
    if body.startswith(BOM):
        body = body[len(BOM):]
    try:
        event = json.loads(body)
    except ValueError:  # also invalid UTF-8
        return None
    if not isinstance(event, dict) or not isinstance(event.get("at"), str):
        return None
    return micros(event["at"].encode())


def name_time(stamp):
    """'2024-04-01-23-56-22' -> UTC microseconds."""
    year, month, day, hour, minute, second = (int(p) for p in stamp.split("-"))
    return (dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.timezone.utc) - EPOCH) // dt.timedelta(
        microseconds=1
    )


def key_at(key, us):
    """KEY renamed to the time `us` (its folders too, in the nested layout)."""
    m = NAME.match(key)
    when = EPOCH + dt.timedelta(microseconds=us)
    stamp = f"{when:%Y-%m-%d-%H-%M}-{when.second}"
    folder = m.group("folder")
    nested = re.fullmatch(r"(.*?)\d{4}/\d{2}/\d{2}/\d{2}/\d{2}/", folder)
    if nested:
        folder = f"{nested.group(1)}{when:%Y/%m/%d/%H/%M}/"
    return f"{folder}{stamp}{m.group('rest')}"


def split_last_minute(source, key, out):
    m = NAME.match(key)
    if not m:
        sys.exit(f"split-last-minute: {key} is not named like the generator's objects")
    opener = gzip.open if key.endswith(".gz") else open
    with opener(os.path.join(source, key), "rb") as f:
        lines = f.read().splitlines(keepends=True)
    named_us = name_time(m.group("stamp"))
    # The writer names an object after its window's start and closes it minutes later; an event
    # time hours after that is a malformed line's, not this object's last minute.
    times = [event_time(line) for line in lines]
    plausible = [t for t in times if t is not None and named_us - 86_400_000_000 <= t <= named_us + 3_600_000_000]
    if not plausible:
        sys.exit(f"split-last-minute: no event time in {key}")
    last = max(plausible)
    cut = last - MINUTE_US  # the last minute: (cut, last]
    moved = [line for line, t in zip(lines, times) if t is not None and cut < t <= last]
    kept = [line for line, t in zip(lines, times) if not (t is not None and cut < t <= last)]
    if not moved or not kept:
        sys.exit(f"split-last-minute: {key} has nothing to split ({len(moved)} lines in its last minute)")
    # The new object is named after the minute's start, in a later minute folder than the object
    # it came from, so key order stays time order (the seconds in the name are not zero-padded).
    new_us = cut + 1 - (cut + 1) % 1_000_000
    if new_us // MINUTE_US <= named_us // MINUTE_US:
        new_us = (named_us // MINUTE_US + 1) * MINUTE_US
    new_key = key_at(key, new_us)
    if new_key <= key or not NAME.match(new_key):
        sys.exit(f"split-last-minute: cannot name the new object after {key} ({new_key})")
    if NAME.match(new_key).group("stamp")[:10] != m.group("stamp")[:10]:
        sys.exit(f"split-last-minute: the last minute of {key} falls in another lake date")
    for part_key, part in ((key, kept), (new_key, moved)):
        path = os.path.join(out, part_key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with opener(path, "wb") as f:
            f.write(b"".join(ensure_endings(part)))
    print(new_key, len(moved), len(kept))


def ensure_endings(lines):
    """Every line but the last ends in its own ending; one that had none (the object's last) gets '\\n'."""
    result = []
    for i, line in enumerate(lines):
        if i < len(lines) - 1 and not line.endswith(b"\n"):
            line += b"\n"
        result.append(line)
    return result


# --- comparing states ------------------------------------------------------------------------------


def close(a, b):
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)


def compare_distances(a_path, b_path):
    with open(a_path, newline="") as fa, open(b_path, newline="") as fb:
        a_rows = list(csv.reader(fa, delimiter="\t"))
        b_rows = list(csv.reader(fb, delimiter="\t"))
    if len(a_rows) != len(b_rows):
        return f"{len(b_rows)} (period, vehicle) distances, the one-shot load has {len(a_rows)}"
    for a, b in zip(a_rows, b_rows):
        # operating_period_id, vehicle_id, updates, distance_m
        if a[:3] != b[:3] or not close(float(a[3]), float(b[3])):
            return f"distance row {b} where the one-shot load has {a}"
    return None


def compare_reports(a_path, b_path):
    with open(a_path) as fa, open(b_path) as fb:
        try:
            a = json.load(fa)["operating_periods"]
            b = json.load(fb)["operating_periods"]
        except (ValueError, KeyError):
            return "the report is not d2d's JSON"
    if [p["operating_period_id"] for p in a] != [p["operating_period_id"] for p in b]:
        return "the report lists other operating periods"
    for x, y in zip(a, b):
        if x["vehicles"] != y["vehicles"]:
            return f"report: {y['operating_period_id']} has {y['vehicles']} vehicles, one-shot {x['vehicles']}"
        for field in ("avg_distance_m", "total_distance_m"):
            if (x[field] is None) != (y[field] is None) or (x[field] is not None and not close(x[field], y[field])):
                return f"report: {y['operating_period_id']} {field} {y[field]}, one-shot {x[field]}"
    return None


def first_difference(a_path, b_path):
    with open(a_path, "rb") as fa, open(b_path, "rb") as fb:
        a, b = fa.read(), fb.read()
    if a == b:
        return None
    a_lines, b_lines = a.splitlines(), b.splitlines()
    for i, (x, y) in enumerate(zip(a_lines, b_lines)):
        if x != y:
            return f"line {i + 1}: {y[:160]!r}, one-shot {x[:160]!r}"
    return f"{len(b_lines)} lines, one-shot {len(a_lines)}"


def compare(one_shot, incremental):
    names = sorted(set(os.listdir(one_shot)) | set(os.listdir(incremental)))
    problems = []
    for name in names:
        a, b = os.path.join(one_shot, name), os.path.join(incremental, name)
        if not (os.path.exists(a) and os.path.exists(b)):
            problems.append(f"{name} missing")
            continue
        if name == "distance.tsv":
            problem = compare_distances(a, b)
        elif name == "report.json":
            problem = compare_reports(a, b)
        else:
            problem = first_difference(a, b)
        if problem:
            problems.append(f"{name}: {problem}")
    if problems:
        print("; ".join(problems))
        return 1
    print("equal")
    return 0


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "split-last-minute":
        split_last_minute(*sys.argv[2:])
        return 0
    if len(sys.argv) == 4 and sys.argv[1] == "compare":
        return compare(*sys.argv[2:])
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main())
