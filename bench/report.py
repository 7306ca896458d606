"""Writes bench/RESULTS.md from what bench/run.sh measured in this run (its results folder).

Every figure is computed here from the measurements: rates, ratios, the best round of each
contender, and the targets of issues 5 and 19 with PASS/FAIL. Standard library only.
Usage: report.py RESULTS_DIR > bench/RESULTS.md
"""
import csv
import json
import math
import os
import sys
import time

ORDER = ["parse_limit", "parse_limit_portable", "decode", "d2d_sqlite", "sqlite_limit", "sqlite_limit_int", "d2d_pg", "copy", "row_by_row", "duckdb", "pandas"]
OURS = {"decode", "d2d_sqlite", "d2d_pg"}
# The row of ours each contender is compared with (the ratio is its events/s over ours).
COMPARED_WITH = {
    "parse_limit": "decode",
    "parse_limit_portable": "decode",
    "sqlite_limit": "d2d_sqlite",
    "sqlite_limit_int": "d2d_sqlite",
    "copy": "d2d_pg",
    "row_by_row": "d2d_pg",
    "duckdb": "d2d_sqlite",
    "pandas": "d2d_sqlite",
}
# The incremental contenders (issue 19), smallest increment first, and their engines' one-shot rows.
INCREMENTS = ["1min", "last1", "last5", "last10", "last25"]
ENGINES = {"sqlite": "SQLite", "pg": "PostgreSQL"}
INCR = [f"incr_{i}_{e}" for e in ENGINES for i in INCREMENTS]
INCREMENT_TEXT = {
    "1min": "one new 1-minute object",
    "last1": "the last 1% of the objects",
    "last5": "the last 5%",
    "last10": "the last 10%",
    "last25": "the last 25%",
}
PG_CONTENDERS = {"d2d_pg", "copy", "row_by_row", "derive_sql"}
BENCHMARK_CONTENDERS = {"parse_limit", "parse_limit_portable", "decode"}


def read_text(path, default=""):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return default


def read_tsv(path):
    """The rows of a tab-separated file, none when it is missing."""
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return [row for row in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE) if row]


def fmt_reference(reference):
    """'1M-2-d2d_pg' -> 'd2d_pg, round 2'; '1M-reference-d2d_pg' -> 'an untimed d2d_pg load'."""
    parts = reference.split("-")
    if len(parts) < 3:
        return reference
    return f"an untimed {parts[-1]} load" if parts[-2] == "reference" else f"{parts[-1]}, round {parts[-2]}"


class Measurement:
    """One contender's run in one round, reduced to per-input figures."""

    def __init__(self, row, size_info):
        self.size, self.round, self.name = row[0], int(row[1]), row[2]
        self.failed = row[3] == "failed"
        self.log = row[7]
        self.note = ""
        self.extra = {}
        if self.failed:
            lines = read_text(self.log + ".err").splitlines()
            errors = [line for line in lines if "error" in line.lower()]
            self.error = (errors or lines)[:1] or ["(no message)"]
            return
        self.wall_s, self.cpu_s, self.rss_kb = float(row[3]), float(row[4]), int(row[5])
        self.server_cpu_s = float(row[6] or 0)
        self.process_wall_s = self.wall_s
        events = size_info["events"]
        if self.name in BENCHMARK_CONTENDERS:
            # Google Benchmark: one iteration is one pass over every file; wall and CPU per pass.
            report = json.loads(read_text(self.log + ".out"))
            bench = report["benchmarks"][0]
            scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[bench.get("time_unit", "ns")]
            self.wall_s = bench["real_time"] * scale
            self.cpu_s = bench["cpu_time"] * scale
            self.extra = {
                "kernel": report.get("context", {}).get("simdjson_kernel", "?"),
                "iterations": bench["iterations"],
                "events": int(bench["events"]),
                "documents": int(bench["documents"]),
                "rejected": int(bench["rejected"]),
            }
        elif self.name == "row_by_row":
            lines, rows, seconds = read_text(self.log + ".out").split()
            lines, rows, seconds = int(lines), int(rows), float(seconds)
            # The sample's timed loop, extrapolated per event to the whole lake date.
            self.extra = {"lines": lines, "rows": rows, "seconds": seconds}
            self.wall_s = seconds / lines * events
            self.cpu_s = self.cpu_s / lines * events
            self.server_cpu_s = self.server_cpu_s / lines * events
        elif self.name in ("sqlite_limit", "sqlite_limit_int"):
            # Its own clock around BEGIN ... COMMIT only (reading and sorting the CSV are left out).
            rows, insert_s, commit_s, insert_cpu_s, commit_cpu_s = read_text(self.log + ".out").split()
            self.extra = {"rows": int(rows), "insert_s": float(insert_s), "commit_s": float(commit_s)}
            self.wall_s = float(insert_s) + float(commit_s)
            self.cpu_s = float(insert_cpu_s) + float(commit_cpu_s)
        elif self.name == "duckdb":
            self.extra = {"matches": compare_answers(read_text(self.log + ".out"), size_info["reference"])}
        elif self.name == "pandas":
            self.extra = {"rows": int(read_text(self.log + ".out") or 0)}
        elif self.name in ("d2d_sqlite", "d2d_pg") or self.name in INCR:
            phases = read_text(self.log + ".phases")
            try:
                runs = json.loads(phases) if phases else []
                self.extra = {"phases": runs[-1] if runs else {}}
            except ValueError:
                self.extra = {"phases": {}}
            if self.name == "d2d_pg":
                self.extra["rows"] = int(read_text(self.log + ".rows", "0") or 0)
        self.total_cpu_s = self.cpu_s + self.server_cpu_s
        self.events_per_s = events / self.wall_s
        self.mb_per_s = size_info["bytes"] / 1e6 / self.wall_s


def compare_answers(theirs_text, reference_text):
    """True when both answers list the same periods with the same figures (6 decimals, as d2d prints)."""
    try:
        theirs = json.loads(theirs_text)["operating_periods"]
        ours = json.loads(reference_text)["operating_periods"]
    except (ValueError, KeyError):
        return False
    if [p["operating_period_id"] for p in theirs] != [p["operating_period_id"] for p in ours]:
        return False
    for a, b in zip(theirs, ours):
        if a["vehicles"] != b["vehicles"]:
            return False
        for field in ("avg_distance_m", "total_distance_m"):
            x, y = a[field], b[field]
            if (x is None) != (y is None):
                return False
            if x is not None and not math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-6):
                return False
    return True


def engine_of(name):
    return name.rsplit("_", 1)[1]


def interpolate(points, x):
    """Linear interpolation of y at x over (x, y) points sorted by x; None outside their range."""
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        if x0 <= x <= x1:
            return y0 if x1 == x0 else y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    return None


def fmt_rate(value):
    return f"{value:,.0f}"


def fmt_ratio(value):
    return f"{value:.3f}" if value < 0.1 else f"{value:.2f}"


def verdict(ok):
    return "**PASS**" if ok else "**FAIL**"


def main():
    results = sys.argv[1]
    meta = dict(line.split("=", 1) for line in read_text(os.path.join(results, "meta.env")).splitlines() if "=" in line)
    sizes = meta["sizes"].split()
    size_info = {}
    for size in sizes:
        events, raw_bytes = read_text(os.path.join(results, f"{size}.figures")).split()
        size_info[size] = {
            "events": int(events),
            "bytes": int(raw_bytes),
            "rows": int(read_text(os.path.join(results, f"{size}.rows"), "0")),
            "reference": read_text(os.path.join(results, f"{size}.reference.json")),
            "generate_args": read_text(os.path.join(results, f"{size}.generate_args")),
            "generate_seconds": read_text(os.path.join(results, f"{size}.generate_seconds"), "?"),
        }
    measurements = []
    with open(os.path.join(results, "measurements.tsv")) as f:
        for row in csv.reader(f, delimiter="\t"):
            if row:
                measurements.append(Measurement(row, size_info[row[0]]))
    skipped = []
    with open(os.path.join(results, "skipped.tsv")) as f:
        skipped = [row for row in csv.reader(f, delimiter="\t") if row]
    commands = read_text(os.path.join(results, "commands.txt")).splitlines()
    incr_sizes = [size for size in meta.get("incr_sizes", "").split() if size in size_info]
    # What each increment held: objects loaded before, objects added, their events (lines) and bytes.
    increments = {}
    for row in read_tsv(os.path.join(results, "increments.tsv")):
        increments[(row[0], row[1])] = {"base": int(row[2]), "new": int(row[3]), "events": int(row[4]), "bytes": int(row[5])}
    # Each incremental result checked against a one-shot load of its engine; a difference fails it.
    checks = {}
    for row in read_tsv(os.path.join(results, "checks.tsv")):
        checks[(row[0], int(row[1]), row[2])] = {"verdict": row[3], "reference": row[4], "detail": row[5] if len(row) > 5 else ""}
    for m in measurements:
        check = checks.get((m.size, m.round, m.name))
        if m.name in INCR and not m.failed:
            m.check = check or {"verdict": "unchecked", "reference": "", "detail": "no state was read"}
            if m.check["verdict"] == "differs":
                m.failed = True
                m.error = [f"differs from the one-shot load ({m.check['reference']}): {m.check['detail']}"]

    # The best (fastest) round of each contender per size.
    best = {}
    for m in measurements:
        if m.failed:
            continue
        key = (m.size, m.name)
        if key not in best or m.wall_s < best[key].wall_s:
            best[key] = m
    failed = [m for m in measurements if m.failed]

    def get(size, name):
        return best.get((size, name))

    out = []
    w = out.append
    w("# Benchmark results")
    w("")
    w(f"Written by `make bench` (bench/run.sh, bench/report.py) on {meta['date_utc']}, commit {meta['commit']}.")
    w("Every figure below was measured and computed in that one run; nothing is typed in.")
    w("")
    w("## Machine")
    w("")
    w(f"- {meta['cores']} cores ({meta['cpu']}), {meta['memory_gib']} GiB; {meta['os']}")
    w(f"- load average when the run started: {meta['load_at_start']} (1, 5, 15 min)")
    w(f"- {meta['compiler']}; simdjson {meta.get('simdjson', '?')} (Debian)")
    w(
        f"- PostgreSQL {meta.get('postgresql', '(not run)')} with its default durable settings, on loopback; "
        f"SQLite {meta.get('sqlite', '?')}; DuckDB {meta.get('duckdb', '(not run)')} (npm, Node {meta.get('node', '?')}); "
        f"pandas {meta.get('pandas', '?')}"
    )
    w("")
    w("## Inputs")
    w("")
    w("One lake date of `d2d generate` per size (nested layout, plain files, breaks, 1% bad lines):")
    w("")
    w("| size | generator flags | events (lines) | MB | location rows after d2d | generation (s) |")
    w("|---|---|---:|---:|---:|---:|")
    for size in sizes:
        info = size_info[size]
        w(
            f"| {size} | `{info['generate_args']}` | {info['events']:,} | {info['bytes'] / 1e6:,.1f} | {info['rows']:,} "
            f"| {info['generate_seconds']} |"
        )
    w("")
    w(
        f"Each size: {meta['rounds']} round(s); in a round every contender runs once, in an order rotated from "
        "round to round; the table shows each contender's fastest round (all rounds are listed at the end)."
    )
    w("")
    w("## How to read the tables")
    w("")
    w("- **events/s** and **MB/s**: the lake date's lines and raw bytes over the wall time.")
    w(
        "- **wall**, **CPU** (user + sys) and **peak RSS** come from `/usr/bin/time` around the contender's process. "
        "For the Google Benchmark programs (parse limit, decode) wall and CPU are per pass over the files as "
        "Google Benchmark timed it (file reads paused), RSS is the process's."
    )
    w(
        "- For the contenders that load PostgreSQL, CPU adds the server's processes (postmaster and backends, from "
        "/proc); their RSS is the client's only."
    )
    w(
        "- **vs ours**: the contender's events/s divided by the events/s of the d2d row it is compared with "
        "(named in brackets); above 1 the contender is faster."
    )
    w("")

    descriptions = {
        "parse_limit": "parse limit: bare simdjson `iterate_many`, fields touched, single thread, -march=native",
        "parse_limit_portable": "the same built with d2d's compiler flags",
        "decode": "**ours**: `LineSplitter` + `LineDecoder` + the binary COPY row of each fix: decode + validate + encode, single thread",
        "d2d_sqlite": "**ours**: whole `d2d run` into a fresh SQLite file",
        "d2d_pg": "**ours**: whole `d2d run` into PostgreSQL, fresh schema, one transaction",
        "sqlite_limit": "SQLite warehouse limit: d2d's transformed rows, held in memory, into a fresh file made by d2d's "
        "migrations (same table, same indexes, same pragmas), key order, one prepared `INSERT` of 100 rows (as d2d), one transaction; "
        "insert + commit (with its WAL checkpoint) timed",
        "sqlite_limit_int": "the same rows into a table d2d does not have, every text an integer (vehicle and organization "
        "interned, times in µs, the date a day number), same key: what no schema with these columns could beat",
        "copy": "warehouse limit: `psql \\copy` of d2d's transformed rows (CSV, time order) into d2d's location_update (created by its migrations)",
        "row_by_row": "original design: `json.loads` + one `INSERT` per fix, autocommit",
        "duckdb": "DuckDB: the per-period answer in SQL straight from the JSON files",
        "pandas": "pandas: `read_json(lines=True)` + `to_sql` into SQLite",
    }

    for size in sizes:
        info = size_info[size]
        w(f"## {size}: {info['events']:,} events, {info['bytes'] / 1e6:,.1f} MB")
        w("")
        w("| contender | what it does | events/s | MB/s | wall (s) | CPU (s) | peak RSS (MB) | vs ours |")
        w("|---|---|---:|---:|---:|---:|---:|---:|")
        for name in ORDER:
            m = get(size, name)
            if m is None:
                continue
            what = descriptions[name]
            if name in ("parse_limit", "parse_limit_portable"):
                what += f" (simdjson kernel {m.extra['kernel']}; {m.extra['documents']:,} JSON documents)"
            if name == "decode":
                what += f" ({m.extra['rejected']:,} lines rejected)"
            if name == "row_by_row":
                what += f" ({m.extra['lines']:,}-line sample, {m.extra['seconds']:.2f} s, extrapolated per event)"
            if name in ("sqlite_limit", "sqlite_limit_int"):
                what += f" ({m.extra['rows']:,} rows: insert {m.extra['insert_s']:.2f} s, commit {m.extra['commit_s']:.2f} s)"
            if name == "duckdb":
                what += "; **matches d2d's report**" if m.extra["matches"] else "; **differs from d2d's report**"
            if name == "pandas":
                what += f" ({m.extra['rows']:,} rows; d2d loads {info['rows']:,})"
            if name == "d2d_pg" and m.extra.get("rows") != info["rows"]:
                what += f" (**{m.extra.get('rows')} rows loaded, SQLite has {info['rows']}**)"
            ratio = ""
            reference = get(size, COMPARED_WITH.get(name, ""))
            if name in OURS:
                ratio = "1.00"
            elif reference is not None:
                ratio = f"{fmt_ratio(m.events_per_s / reference.events_per_s)} ({COMPARED_WITH[name]})"
            label = f"**{name}**" if name in OURS else name
            w(
                f"| {label} | {what} | {fmt_rate(m.events_per_s)} | {m.mb_per_s:,.1f} | {m.wall_s:,.2f} "
                f"| {m.total_cpu_s:,.2f} | {m.rss_kb / 1024:,.0f} | {ratio} |"
            )
        for row in skipped:
            if row[0] == size and not row[1].startswith("incr_"):
                w(f"| {row[1]} | not run: {row[2]} | | | | | | |")
        for m in failed:
            if m.size == size and m.name not in INCR:
                w(f"| {m.name} | round {m.round} **failed**: {m.error[0][:200]} | | | | | | |")
        w("")
        phase_rows = []
        for name in ("d2d_sqlite", "d2d_pg"):
            m = get(size, name)
            if m is not None and m.extra.get("phases"):
                phases = m.extra["phases"]
                columns = [k for k in phases if k.endswith("_ms")]
                phase_rows.append((name, columns, phases))
        if phase_rows:
            columns = phase_rows[0][1]
            w("Phases of the d2d runs above, as recorded in `etl_run` (ms):")
            w("")
            w("| run | " + " | ".join(c[:-3] for c in columns) + " |")
            w("|---|" + "---:|" * len(columns))
            for name, _, phases in phase_rows:
                w(f"| {name} | " + " | ".join(str(phases.get(c, "")) for c in columns) + " |")
            w("")
        sql, pg = get(size, "derive_sql"), get(size, "d2d_pg")
        if sql is not None:
            derive_ms = (pg.extra.get("phases") or {}).get("derive_ms", "?") if pg is not None else "?"
            w(
                f"Derivation in SQL (issue 3): `bench/derive_in_sql.sql`, breaks paired and every period's distances "
                f"set-based on the schema d2d_pg just loaded, equal to d2d's: **{sql.wall_s * 1000:,.0f} ms** "
                f"(psql, one transaction, check included; server CPU {sql.server_cpu_s:.2f} s) against d2d's "
                f"derive phase above, **{derive_ms} ms** (C++, src/model/distance.cpp)."
            )
            w("")

    # --- issue 3's table: PostgreSQL loads in rows/s -------------------------------------------------
    rbr = next((m for m in best.values() if m.name == "row_by_row"), None)
    for size in sizes:
        pg, copy = get(size, "d2d_pg"), get(size, "copy")
        if pg is None or copy is None:
            continue
        rows = size_info[size]["rows"]
        pg_rate, copy_rate = rows / pg.wall_s, rows / copy.wall_s
        w(f"## Loading one lake date into PostgreSQL ({size}: {rows:,} location rows; issue 3)")
        w("")
        w("| contender | what it does | rows | wall (s) | rows/s | vs d2d |")
        w("|---|---|---:|---:|---:|---:|")
        w(
            f"| **d2d run** | extract + decode + validate + COPY binary + merge + derive, one transaction | {rows:,} "
            f"| {pg.wall_s:.2f} | {fmt_rate(pg_rate)} | 1.00 |"
        )
        w(
            f"| psql \\copy (limit) | already-transformed rows as CSV into d2d's own location_update (PK, one BRIN on at and lake_date), "
            f"time order | {rows:,} | {copy.wall_s:.2f} | {fmt_rate(copy_rate)} | {fmt_ratio(copy_rate / pg_rate)} |"
        )
        if rbr is not None:
            rbr_rate = rbr.extra["rows"] / rbr.extra["seconds"]
            w(
                f"| original design | json.loads + psycopg2, one INSERT per row, autocommit (sample of "
                f"{rbr.extra['lines']:,} lines at {rbr.size}) | {rbr.extra['rows']:,} | {rbr.extra['seconds']:.2f} "
                f"| {fmt_rate(rbr_rate)} | {fmt_ratio(rbr_rate / pg_rate)} |"
            )
        w("")
        sentence = f"d2d reaches **{100 * pg_rate / copy_rate:.0f}%** of the `\\copy` limit"
        if rbr is not None:
            sentence += f" and **{pg_rate / (rbr.extra['rows'] / rbr.extra['seconds']):.0f}×** the row-by-row design"
        w(sentence + ".")
        w("")

    # --- the SQLite engine alone ----------------------------------------------------------------------
    for size in sizes:
        ours, limit = get(size, "d2d_sqlite"), get(size, "sqlite_limit")
        if ours is None or limit is None:
            continue
        rows = size_info[size]["rows"]
        phases = ours.extra.get("phases", {})
        w(f"## Loading one lake date into SQLite ({size}: {rows:,} location rows)")
        w("")
        w("| contender | what it does | rows | wall (s) | rows/s | vs d2d |")
        w("|---|---|---:|---:|---:|---:|")
        w(
            f"| **d2d run** | extract + decode + validate + sort + insert + derive + commit, one transaction | {rows:,} "
            f"| {ours.wall_s:.2f} | {fmt_rate(rows / ours.wall_s)} | 1.00 |"
        )
        if phases.get("load_ms") is not None:
            load_s = phases["load_ms"] / 1000
            w(
                f"| d2d's load phase | its sorted fixes inserted (`etl_run.load_ms`; the commit comes later) | {rows:,} "
                f"| {load_s:.2f} | {fmt_rate(rows / load_s)} | {fmt_ratio(ours.wall_s / load_s)} |"
            )
        w(
            f"| SQLite limit | the same rows, already transformed, in key order: insert {limit.extra['insert_s']:.2f} s "
            f"+ commit {limit.extra['commit_s']:.2f} s | {limit.extra['rows']:,} | {limit.wall_s:.2f} "
            f"| {fmt_rate(limit.extra['rows'] / limit.wall_s)} | {fmt_ratio(ours.wall_s / limit.wall_s)} |"
        )
        w("")
        w(
            f"The SQLite engine alone stores this lake date's rows at **{fmt_rate(limit.extra['rows'] / limit.wall_s)} "
            f"rows/s** ({fmt_rate(limit.events_per_s)} of the date's events per second): that bounds any `d2d run` "
            "into this schema on this machine, whatever d2d does before the insert."
        )
        w("")

    # --- incremental loads (issue 19) ------------------------------------------------------------------
    def vs_one_shot(m):
        """(ratio, round, incremental wall, one-shot wall): against the one-shot load of the engine in
        the same round as m (its best), else the one-shot's best round (round None); None without one."""
        one_shot = f"d2d_{engine_of(m.name)}"
        shot = next((o for o in measurements if (o.size, o.round, o.name) == (m.size, m.round, one_shot) and not o.failed), None)
        same_round = shot is not None
        shot = shot or get(m.size, one_shot)
        if shot is None:
            return None
        return (m.wall_s / shot.wall_s, m.round if same_round else None, m.wall_s, shot.wall_s)

    def fmt_vs(m):
        v = vs_one_shot(m)
        if v is None:
            return "no one-shot"
        return f"{100 * v[0]:.0f}%" + ("" if v[1] is not None else " (vs the one-shot's best round)")

    if incr_sizes:
        w("## Incremental loads (issue 19)")
        w("")
        w(
            "Each incremental contender starts from a fresh lake and warehouse. The lake date's objects in key order "
            "(the writer's time order) are split in two: the first part is loaded by a `d2d run` (not timed), then "
            "the rest is added to the source (hard links) and a second `d2d run` of the date is timed. "
            "`incr_1min`: the whole date but one busy minute first, then that minute as one new object: the date's "
            "middle object (midday) split by event time, its last minute of events moved to a new object named after "
            "that minute (bench/incremental.py), so the date holds the same lines and the minute arrives after later "
            "objects. Every result is checked against the one-shot "
            "load of the same engine (`d2d_sqlite` / `d2d_pg` of the same round; when none ran, an untimed one): the "
            "analyst relations by their contract's columns in key order (location_update and rejected_event as count + "
            "SHA-256, rejected_event without object and line), distances and `d2d report --format json` to a relative "
            "1e-9. A difference fails the contender. **vs one-shot**: the wall time of the contender's best round over "
            "the one-shot load's in that same round."
        )
        w("")
        not_run = [row for row in skipped if row[1] == "incr_*"]
        if not_run:
            w("Not run at " + ", ".join(row[0] for row in not_run) + f": {not_run[0][2]}.")
            w("")
    for size in incr_sizes:
        w(f"### {size}: {size_info[size]['events']:,} events")
        w("")
        w("| contender | what it does | objects before + new | new events | new MB | wall (s) | CPU (s) | peak RSS (MB) | vs one-shot | equal to one-shot |")
        w("|---|---|---:|---:|---:|---:|---:|---:|---:|---|")
        for name in INCR:
            inc = increments.get((size, name))
            m = get(size, name)
            what = f"{INCREMENT_TEXT[name.split('_')[1]]} into {ENGINES[engine_of(name)]}"
            objects = f"{inc['base']:,} + {inc['new']:,}" if inc else ""
            events = f"{inc['events']:,}" if inc else ""
            mb = f"{inc['bytes'] / 1e6:,.2f}" if inc else ""
            if m is not None:
                ratio = fmt_vs(m)
                check = m.check
                equal = "**yes**" if check["verdict"] == "equal" else f"not checked: {check['detail']}"
                if check["verdict"] == "equal":
                    equal += f" (vs {fmt_reference(check['reference'])})"
                w(
                    f"| **{name}** | {what} | {objects} | {events} | {mb} | {m.wall_s:,.2f} | {m.total_cpu_s:,.2f} "
                    f"| {m.rss_kb / 1024:,.0f} | {ratio} | {equal} |"
                )
        for row in skipped:
            if row[0] == size and row[1] in INCR:
                w(f"| {row[1]} | not run: {row[2]} | | | | | | | | |")
        for m in failed:
            if m.size == size and m.name in INCR:
                w(f"| {m.name} | round {m.round} **failed**: {m.error[0][:300]} | | | | | | | | |")
        w("")
        phase_rows = [(name, get(size, name).extra.get("phases") or {}) for name in INCR if get(size, name) is not None]
        phase_rows = [(name, p) for name, p in phase_rows if p]
        if phase_rows:
            columns = [c for c in ("objects", "objects_copied", "events_read", "rows_loaded", "periods_derived") if c in phase_rows[0][1]]
            columns += [c for c in phase_rows[0][1] if c.endswith("_ms")]
            w("The timed runs as recorded in `etl_run` (its last succeeded run; times in ms):")
            w("")
            w("| run | " + " | ".join(c[:-3] if c.endswith("_ms") else c.replace("_", " ") for c in columns) + " |")
            w("|---|" + "---:|" * len(columns))
            for name, phases in phase_rows:
                w(f"| {name} | " + " | ".join(str(phases.get(c, "")) for c in columns) + " |")
            w("")

    # The cost of an increment: the same increments at every incremental size, side by side.
    growth = {}  # engine -> [(day events, new events, wall)]
    if incr_sizes:
        w("### The cost of an increment")
        w("")
        header = "| engine | increment | " + " | ".join(f"{size}: new events | {size}: wall (s) | {size}: vs one-shot" for size in incr_sizes) + " |"
        w(header)
        w("|---|---|" + "---:|---:|---:|" * len(incr_sizes))
        for engine in ENGINES:
            for increment in INCREMENTS:
                name = f"incr_{increment}_{engine}"
                cells = []
                for size in incr_sizes:
                    inc, m = increments.get((size, name)), get(size, name)
                    if m is None or inc is None:
                        cells += ["", "", ""]
                        continue
                    cells += [f"{inc['events']:,}", f"{m.wall_s:,.2f}", fmt_vs(m)]
                    growth.setdefault(engine, []).append((size, inc["events"], m.wall_s))
                if any(cells):
                    w(f"| {ENGINES[engine]} | {INCREMENT_TEXT[increment]} | " + " | ".join(cells) + " |")
        w("")
    # The larger day against the smaller at the same number of new events (interpolated over the
    # smaller day's increments): a cost that follows the day shows the days' ratio, one that follows
    # the increment shows 1.
    follows = {}
    if len(incr_sizes) >= 2:
        small_day, large_day = incr_sizes[0], incr_sizes[-1]
        days_ratio = size_info[large_day]["events"] / size_info[small_day]["events"]
        for engine, points in growth.items():
            small = sorted((e, t) for size, e, t in points if size == small_day)
            pairs = []
            for size, e, t in sorted(points):
                if size == large_day:
                    at_small = interpolate(small, e)
                    if at_small:
                        pairs.append((e, t, at_small))
            follows[engine] = (days_ratio, pairs)
        lines = []
        for engine, (days_ratio, pairs) in follows.items():
            if pairs:
                shown = ", ".join(f"{e:,} new events: {t:.2f} s vs {s:.2f} s ({t / s:.2f}×)" for e, t, s in pairs)
                lines.append(f"- {ENGINES[engine]}: {shown}")
        if lines:
            w(
                f"At the same number of new events, the {large_day} day's increment against the {small_day} day's "
                f"(interpolated between its increments; the days differ {days_ratio:.2f}×, so a cost that follows the day "
                "would show about that ratio, one that follows the increment about 1):"
            )
            w("")
            out.extend(lines)
            w("")

    # --- the targets of issue 5 ---------------------------------------------------------------------
    w("## Targets of issue 5")
    w("")
    w("| target | measured | result |")
    w("|---|---|---|")
    for size in sizes:
        decode, limit = get(size, "decode"), get(size, "parse_limit")
        if decode and limit:
            share = decode.events_per_s / limit.events_per_s
            w(f"| {size}: decode + validate ≥ 35% of the parse limit | {100 * share:.0f}% | {verdict(share >= 0.35)} |")
    for size in sizes:
        pg, copy = get(size, "d2d_pg"), get(size, "copy")
        if pg and copy:
            share = copy.wall_s / pg.wall_s
            w(f"| {size}: `d2d run` into PostgreSQL ≥ 70% of `\\copy` | {100 * share:.0f}% | {verdict(share >= 0.70)} |")
        if pg and rbr:
            times = pg.events_per_s / rbr.events_per_s
            w(
                f"| {size}: `d2d run` into PostgreSQL ≥ 50× the original design ({rbr.size} sample) "
                f"| {times:.1f}× | {verdict(times >= 50)} |"
            )
    for size in sizes:
        sqlite, duck = get(size, "d2d_sqlite"), get(size, "duckdb")
        if sqlite:
            w(
                f"| {size}: `d2d run` into SQLite ≥ 1M events/s | {fmt_rate(sqlite.events_per_s)} events/s "
                f"| {verdict(sqlite.events_per_s >= 1e6)} |"
            )
        for name in ("sqlite_limit", "sqlite_limit_int"):
            limit = get(size, name)
            if limit:
                w(
                    f"| {size}: the SQLite engine alone ({name}) ≥ 1M events/s, for reference | "
                    f"{fmt_rate(limit.events_per_s)} events/s | {verdict(limit.events_per_s >= 1e6)} |"
                )
        if sqlite and duck:
            w(
                f"| {size}: `d2d run` into SQLite faster than DuckDB | {sqlite.wall_s:.2f} s vs {duck.wall_s:.2f} s "
                f"| {verdict(sqlite.wall_s < duck.wall_s)} |"
            )
    small, large = sizes[0], sizes[-1]
    if small == large:
        w("| peak RSS flat, time linear | needs two sizes (BENCH_SIZES) | n/a |")
    else:
        ratio_events = size_info[large]["events"] / size_info[small]["events"]
        official = small == "1M" and large == "16M"
        note = "" if official else f" (issue 5 names 1M and 16M; this run has {small} and {large})"
        for name in ("d2d_sqlite", "d2d_pg"):
            a, b = get(small, name), get(large, name)
            if not (a and b):
                continue
            w(
                f"| {name}: peak RSS at {large} ≤ 1.2× at {small}{note} | {b.rss_kb / 1024:.0f} MB vs "
                f"{a.rss_kb / 1024:.0f} MB ({b.rss_kb / a.rss_kb:.2f}×) | {verdict(b.rss_kb <= 1.2 * a.rss_kb)} |"
            )
            w(f"| {name}: peak RSS at {large} < 512 MB | {b.rss_kb / 1024:.0f} MB | {verdict(b.rss_kb < 512 * 1024)} |")
            allowed = 17 / 16 * ratio_events
            w(
                f"| {name}: time at {large} ≤ 17/16 × events ratio ({ratio_events:.2f}) × time at {small}{note} "
                f"| {b.wall_s / a.wall_s:.2f}× (allowed {allowed:.2f}×) | {verdict(b.wall_s / a.wall_s <= allowed)} |"
            )
    w("")

    # --- the targets of issue 19 --------------------------------------------------------------------
    if incr_sizes:
        w("## Targets of issue 19")
        w("")
        w("| target | measured | result |")
        w("|---|---|---|")
        for size in incr_sizes:
            for engine in ENGINES:
                m = get(size, f"incr_last10_{engine}")
                inc = increments.get((size, f"incr_last10_{engine}"))
                if m is None:
                    continue
                v = vs_one_shot(m)
                what = f"{size}, {ENGINES[engine]}: after 90% of the day, the last 10% ({inc['new']} objects) in ≤ 25% of a one-shot load"
                if v:
                    ratio, r, t, shot = v
                    when = f"round {r}" if r is not None else "their best rounds"
                    w(f"| {what} | {100 * ratio:.0f}% ({t:.2f} s vs {shot:.2f} s, {when}) | {verdict(ratio <= 0.25)} |")
                else:
                    w(f"| {what} | {m.wall_s:.2f} s, no one-shot load measured | n/a |")
        for size in incr_sizes:
            note = "" if size == "1M" else " (issue 19 names the 1M day)"
            for engine in ENGINES:
                m = get(size, f"incr_1min_{engine}")
                inc = increments.get((size, f"incr_1min_{engine}"))
                if m is not None:
                    w(
                        f"| {size}, {ENGINES[engine]}: one new 1-minute object ({inc['events']:,} events) in < 0.5 s{note} "
                        f"| {m.wall_s:.2f} s | {verdict(m.wall_s < 0.5)} |"
                    )
        for engine in ENGINES:
            if engine not in follows:
                if len(incr_sizes) < 2 and any(engine_of(n) == engine for _, n in best if n in INCR):
                    w(f"| {ENGINES[engine]}: the cost of an increment follows the increment, not the day | needs two sizes (BENCH_INCR_SIZES) | n/a |")
                continue
            days_ratio, pairs = follows[engine]
            limit = math.sqrt(days_ratio)
            if pairs:
                worst = max(t / s for _, t, s in pairs)
                w(
                    f"| {ENGINES[engine]}: the cost of an increment follows the increment, not the day: at the same number of new "
                    f"events the {incr_sizes[-1]} day's increment costs ≤ {limit:.2f}× the {incr_sizes[0]} day's (the square root "
                    f"of the days' ratio, {days_ratio:.2f}×, which a cost following the day would show) "
                    f"| {worst:.2f}× at most | {verdict(worst <= limit)} |"
                )
            else:
                w(f"| {ENGINES[engine]}: the cost of an increment follows the increment, not the day | no increments of the same size at both days | n/a |")
        incr_runs = [m for m in measurements if m.name in INCR and m.size in incr_sizes]
        if incr_runs:
            equal = sum(1 for m in incr_runs if getattr(m, "check", {}).get("verdict") == "equal")
            differ = sum(1 for m in incr_runs if m.failed and m.error[0].startswith("differs"))
            unchecked = sum(1 for m in incr_runs if not m.failed and m.check["verdict"] != "equal")
            other = sum(1 for m in incr_runs if m.failed) - differ
            w(
                f"| every incremental result equal to the one-shot load | {equal} of {len(incr_runs)} runs equal; {differ} differ; "
                f"{unchecked} not checked; {other} failed otherwise | {verdict(equal == len(incr_runs))} |"
            )
        w("")

    # --- details ----------------------------------------------------------------------------------
    w("## Every round (wall seconds; for parse limit and decode, per pass)")
    w("")
    w("| size | contender | " + " | ".join(f"round {r}" for r in range(1, int(meta["rounds"]) + 1)) + " |")
    w("|---|---|" + "---:|" * int(meta["rounds"]))
    for size in sizes:
        for name in ORDER + ["derive_sql"] + INCR:
            cells = []
            for r in range(1, int(meta["rounds"]) + 1):
                m = next((m for m in measurements if (m.size, m.name, m.round) == (size, name, r)), None)
                cells.append("" if m is None else "failed" if m.failed else f"{m.wall_s:.2f}")
            if any(cells):
                w(f"| {size} | {name} | " + " | ".join(cells) + " |")
    w("")
    w("## Commands")
    w("")
    w("Reproduce with `make bench` (BENCH_SIZES, BENCH_ROUNDS, BENCH_WORK, BENCH_ROW_BY_ROW, BENCH_SKIP, BENCH_INCR_SIZES:")
    w("see bench/run.sh). Each contender ran as follows, for every size (the first size's paths shown; for the incr_*")
    w("contenders the timed second run, after the untimed first run on the same lake and warehouse):")
    w("")
    w("```")
    for line in commands:
        w(line)
    w("```")
    started = meta.get("started_epoch")
    if started:
        w("")
        w(f"The whole run took {(time.time() - float(started)) / 60:.1f} minutes.")
    print("\n".join(out))


if __name__ == "__main__":
    main()
