#!/usr/bin/python3
"""Independent reference implementation (test oracle) of SPEC section 4 for door2door-etl.

Used by the integration tests: it reads a source folder directly (no lake, no warehouse)
and prints exactly what `d2d report --format json` must print for the union of the given
lake dates.  It is written from the spec and the project's recorded decisions only, not
from the C++ code.  Plain Python 3 standard library.

    /usr/bin/python3 tests/integration/reference_answer.py SOURCE_DIR DATE [DATE ...]

Decisions implemented (literally):

1. Files: walk SOURCE_DIR recursively; a file belongs to lake date D when its name (last
   path segment) starts with "D-".  Names starting with "." are skipped.  "*.gz" files are
   gzip (possibly several concatenated members).  Only the requested dates are read.
2. Lines: split on b"\\n", strip one trailing b"\\r", skip a UTF-8 BOM at the start of a
   file, skip lines that are empty or only spaces/tabs.  A line is valid only if it is valid
   UTF-8 and valid JSON (no NaN/Infinity), a JSON object with nothing after it, without
   duplicate keys in the top-level object, in `data` and in `data.location` (where read);
   `event`, `on` strings; `at` a valid timestamp string; `data` an object with a non-empty
   string `id`; `organization_id`, if present, a string or null; (on, event) one of the 7
   known pairs.  update: data.location object with numeric (not bool) lat in [-90, 90],
   lng in [-180, 180] and a valid timestamp `at`.  register: data.location absent, null or
   an object whose lat/lng/at are each absent, null or valid.  create: data.start and
   data.finish valid timestamps with start <= finish.  Invalid lines are ignored.
3. Timestamps: ^YYYY-MM-DD[Tt ]hh:mm:ss(.f+)?([Zz]|[+-]hh:mm)$ (ASCII digits), year >= 1,
   real calendar date, hour <= 23, minute <= 59, second <= 59, offset hours <= 23 and
   minutes <= 59; integer microseconds since the epoch (UTC), fraction truncated to 6
   digits; the UTC instant must lie in years 0001..9999.
4. Location updates keyed by (vehicle_id, location.at); the winner among all versions is
   the greatest (event at, lat, lng, organization_id or "").
5. Operating periods: per id the winner is the greatest (at, is_delete, start, finish)
   (start = finish = 0 for a delete); a period is reported iff its winner is a create.
6. Breaks per vehicle: distinct (at, is_start) of break_start/break_end events, sorted by at
   with ends before starts at equal at; a start opens a break if none is open (else ignored);
   an end closes the open break (else ignored); a break left open ends at +infinity.
   Breaks are half-open [start, end).
7. Distance of vehicle v in period P (window [start, finish] inclusive): v's winning fixes in
   the window, ordered by at, minus fixes inside a break (start <= at < end); over consecutive
   remaining pairs (a, b) add haversine(a, b) unless a break has a.at < end and start < b.at.
   Haversine: R = 6371008.8 m, radians via math.radians, h = sin^2(dphi/2) +
   cos(phi1) cos(phi2) sin^2(dlambda/2), h clamped to <= 1, d = 2 R asin(sqrt(h)); summed in
   time order as float64.
8. v took part in P iff at least one fix remains.  vehicles = count of those; total = sum of
   their distances in ascending vehicle_id order; avg = total / vehicles, null if 0 vehicles.

Output: {"operating_periods": [{"operating_period_id": ..., "vehicles": N,
"avg_distance_m": X, "total_distance_m": Y}, ...]} sorted by id, numbers with format(x, ".6f").
"""

import bisect
import datetime
import functools
import gzip
import json
import math
import operator
import os
import re
import sys

if hasattr(sys, "set_int_max_str_digits"):
    sys.set_int_max_str_digits(0)  # a huge integer in an unknown field is still valid JSON

EARTH_RADIUS_M = 6371008.8
_EPOCH_ORDINAL = datetime.date(1970, 1, 1).toordinal()
_MIN_MICROS = (datetime.date(1, 1, 1).toordinal() - _EPOCH_ORDINAL) * 86400 * 1000000
_MAX_MICROS = (datetime.date(9999, 12, 31).toordinal() - _EPOCH_ORDINAL + 1) * 86400 * 1000000 - 1
_OPEN_END = _MAX_MICROS * 4 + 1  # "+infinity" for an open break (beyond any valid instant)

_TS_RE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})"
    r"(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})"
)
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

_KNOWN = {
    ("vehicle", "register"),
    ("vehicle", "update"),
    ("vehicle", "deregister"),
    ("vehicle", "break_start"),
    ("vehicle", "break_end"),
    ("operating_period", "create"),
    ("operating_period", "delete"),
}

_ts_cache = {}


def parse_ts(s):
    """Return integer UTC microseconds since the epoch, or None if invalid."""
    if type(s) is not str:
        return None
    r = _ts_cache.get(s, False)
    if r is not False:
        return r
    r = _parse_ts_uncached(s)
    if len(_ts_cache) > 200000:
        _ts_cache.clear()
    _ts_cache[s] = r
    return r


def _parse_ts_uncached(s):
    m = _TS_RE.fullmatch(s)
    if m is None:
        return None
    y, mo, d, hh, mi, ss = (int(m.group(i)) for i in range(1, 7))
    if y < 1 or hh > 23 or mi > 59 or ss > 59:
        return None
    try:
        ordinal = datetime.date(y, mo, d).toordinal()
    except ValueError:
        return None
    frac = m.group(7)
    micros_frac = int((frac[1:] + "000000")[:6]) if frac else 0
    zone = m.group(8)
    off = 0
    if zone not in ("Z", "z"):
        oh, om = int(zone[1:3]), int(zone[4:6])
        if oh > 23 or om > 59:
            return None
        off = oh * 3600 + om * 60
        if zone[0] == "-":
            off = -off
    secs = (ordinal - _EPOCH_ORDINAL) * 86400 + hh * 3600 + mi * 60 + ss - off
    micros = secs * 1000000 + micros_frac
    if micros < _MIN_MICROS or micros > _MAX_MICROS:
        return None
    return micros


class _DupKeys(dict):
    """An object that had duplicate keys (never accepted where we read it)."""


def _pairs_hook(pairs):
    d = dict(pairs)
    if len(d) != len(pairs):
        return _DupKeys(d)
    return d


def _reject_constant(name):
    raise ValueError("non-finite constant " + name)


_decoder = json.JSONDecoder(object_pairs_hook=_pairs_hook, parse_constant=_reject_constant)


def _is_num(x):
    t = type(x)
    return t is int or t is float


def _coord_ok(x, lim):
    return _is_num(x) and -lim <= x <= lim


def parse_line(raw):
    """Return a validated event tuple or None (rejected).

    ("update", vid, loc_at, at, lat, lng, org)
    ("op", id, at, is_delete, start, finish)
    ("break", vid, at, is_start)
    ("other",)
    """
    try:
        text = raw.decode("utf-8")
        obj = _decoder.decode(text)
    except (ValueError, RecursionError):
        return None
    if type(obj) is not dict:
        return None
    event = obj.get("event")
    on = obj.get("on")
    if type(event) is not str or type(on) is not str:
        return None
    at = parse_ts(obj.get("at"))
    if at is None:
        return None
    data = obj.get("data")
    if type(data) is not dict:
        return None
    eid = data.get("id")
    if type(eid) is not str or eid == "":
        return None
    org = obj.get("organization_id")
    if org is not None and type(org) is not str:
        return None
    if (on, event) not in _KNOWN:
        return None
    if on == "vehicle":
        if event == "update":
            loc = data.get("location")
            if type(loc) is not dict:
                return None
            lat = loc.get("lat")
            lng = loc.get("lng")
            if not _coord_ok(lat, 90) or not _coord_ok(lng, 180):
                return None
            loc_at = parse_ts(loc.get("at"))
            if loc_at is None:
                return None
            return ("update", eid, loc_at, at, float(lat), float(lng), org if org is not None else "")
        if event == "register":
            if "location" in data:
                loc = data["location"]
                if loc is not None:
                    if type(loc) is not dict:
                        return None
                    lat = loc.get("lat")
                    if lat is not None and not _coord_ok(lat, 90):
                        return None
                    lng = loc.get("lng")
                    if lng is not None and not _coord_ok(lng, 180):
                        return None
                    lat_ = loc.get("at")
                    if lat_ is not None and parse_ts(lat_) is None:
                        return None
            return ("other",)
        if event == "break_start":
            return ("break", eid, at, 1)
        if event == "break_end":
            return ("break", eid, at, 0)
        return ("other",)  # deregister
    # operating_period
    if event == "create":
        start = parse_ts(data.get("start"))
        finish = parse_ts(data.get("finish"))
        if start is None or finish is None or start > finish:
            return None
        return ("op", eid, at, 0, start, finish)
    return ("op", eid, at, 1, 0, 0)  # delete


def iter_objects(source, dates):
    prefixes = tuple(d + "-" for d in dates)
    for dirpath, dirnames, filenames in os.walk(source):
        dirnames.sort()
        for name in sorted(filenames):
            if name.startswith(".") or not name.startswith(prefixes):
                continue
            yield os.path.join(dirpath, name)


def iter_lines(path):
    with open(path, "rb") as f:
        content = f.read()
    if path.endswith(".gz"):
        content = gzip.decompress(content)
    if content.startswith(b"\xef\xbb\xbf"):
        content = content[3:]
    for line in content.split(b"\n"):
        if line.endswith(b"\r"):
            line = line[:-1]
        if not line.strip(b" \t"):
            continue
        yield line


def haversine(lat1, lng1, lat2, lng2):
    phi1 = math.radians(lat1)
    phi2 = math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lng2) - math.radians(lng1)
    s1 = math.sin(dphi / 2.0)
    s2 = math.sin(dlmb / 2.0)
    h = s1 * s1 + math.cos(phi1) * math.cos(phi2) * (s2 * s2)
    if h > 1.0:
        h = 1.0
    return 2.0 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def compute(source, dates):
    fixes = {}    # (vid, loc_at) -> (at, lat, lng, org)
    periods = {}  # id -> (at, is_delete, start, finish)
    break_events = {}  # vid -> set((at, is_start))
    for path in iter_objects(source, dates):
        for line in iter_lines(path):
            ev = parse_line(line)
            if ev is None:
                continue
            kind = ev[0]
            if kind == "update":
                key = (ev[1], ev[2])
                val = (ev[3], ev[4], ev[5], ev[6])
                old = fixes.get(key)
                if old is None or val > old:
                    fixes[key] = val
            elif kind == "op":
                val = ev[2:]
                old = periods.get(ev[1])
                if old is None or val > old:
                    periods[ev[1]] = val
            elif kind == "break":
                break_events.setdefault(ev[1], set()).add((ev[2], ev[3]))

    # breaks: vid -> (starts, ends), disjoint and sorted, so ends are non-decreasing
    breaks = {}
    for vid, evs in break_events.items():
        starts, ends = [], []
        open_at = None
        for at, is_start in sorted(evs):
            if is_start:
                if open_at is None:
                    open_at = at
            elif open_at is not None:
                starts.append(open_at)
                ends.append(at)
                open_at = None
        if open_at is not None:
            starts.append(open_at)
            ends.append(_OPEN_END)
        breaks[vid] = (starts, ends)

    per_vehicle = {}
    for (vid, loc_at), (_at, lat, lng, _org) in fixes.items():
        per_vehicle.setdefault(vid, []).append((loc_at, lat, lng))

    # vid -> (ats of fixes outside breaks, pair distances (0.0 for pairs spanning a break))
    tracks = []
    for vid in sorted(per_vehicle):
        pts = sorted(per_vehicle[vid])
        starts, ends = breaks.get(vid, ((), ()))
        if starts:
            kept = []
            for p in pts:
                i = bisect.bisect_right(starts, p[0]) - 1
                if i >= 0 and p[0] < ends[i]:
                    continue
                kept.append(p)
            pts = kept
        ats = [p[0] for p in pts]
        dists = []
        for i in range(len(pts) - 1):
            a, b = pts[i], pts[i + 1]
            if starts:
                j = bisect.bisect_left(starts, b[0]) - 1  # last break starting before b.at
                if j >= 0 and ends[j] > a[0]:
                    dists.append(0.0)  # left out; adding +0.0 to a sum >= 0 changes nothing
                    continue
            dists.append(haversine(a[1], a[2], b[1], b[2]))
        tracks.append((ats, dists))

    add = operator.add
    reduce = functools.reduce
    by_window = {}  # (start, finish) -> (vehicles, total); same window, same answer
    result = []
    for pid in sorted(periods):
        _at, is_delete, start, finish = periods[pid]
        if is_delete:
            continue
        window = (start, finish)
        if window not in by_window:
            vehicles = 0
            total = 0.0
            for ats, dists in tracks:  # ascending vehicle_id
                lo = bisect.bisect_left(ats, start)
                hi = bisect.bisect_right(ats, finish)
                if hi <= lo:
                    continue
                vehicles += 1
                # plain left-to-right float64 additions in time order (not sum(), which is
                # compensated since Python 3.12)
                total += reduce(add, dists[lo:hi - 1], 0.0)
            by_window[window] = (vehicles, total)
        vehicles, total = by_window[window]
        avg = total / vehicles if vehicles else None
        result.append((pid, vehicles, avg, total))
    return result


def render(result):
    items = []
    for pid, vehicles, avg, total in result:
        items.append(
            '{"operating_period_id": %s, "vehicles": %d, "avg_distance_m": %s, "total_distance_m": %s}'
            % (
                json.dumps(pid, ensure_ascii=False),
                vehicles,
                "null" if avg is None else format(avg, ".6f"),
                format(total, ".6f"),
            )
        )
    return '{"operating_periods": [' + ", ".join(items) + "]}"


def main(argv):
    if len(argv) < 3:
        sys.stderr.write("usage: reference_answer.py SOURCE_DIR DATE [DATE ...]\n")
        return 2
    source, dates = argv[1], argv[2:]
    for d in dates:
        if not _DATE_RE.fullmatch(d):
            sys.stderr.write("invalid date: %r\n" % d)
            return 2
    if not os.path.isdir(source):
        sys.stderr.write("not a directory: %s\n" % source)
        return 2
    out = render(compute(source, sorted(set(dates)))) + "\n"
    sys.stdout.buffer.write(out.encode("utf-8", "surrogatepass"))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
