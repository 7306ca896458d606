"""Writes bench/RESULTS.md from what bench/run.sh measured in this run (its results folder).

Every figure is computed here from the measurements: rates, ratios, the best round of each
contender, and the targets of issue 5 with PASS/FAIL. Standard library only.
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
PG_CONTENDERS = {"d2d_pg", "copy", "row_by_row", "derive_sql"}
BENCHMARK_CONTENDERS = {"parse_limit", "parse_limit_portable", "decode"}


def read_text(path, default=""):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return default


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
        elif self.name in ("d2d_sqlite", "d2d_pg"):
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
            if row[0] == size:
                w(f"| {row[1]} | not run: {row[2]} | | | | | | |")
        for m in failed:
            if m.size == size:
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

    # --- details ----------------------------------------------------------------------------------
    w("## Every round (wall seconds; for parse limit and decode, per pass)")
    w("")
    w("| size | contender | " + " | ".join(f"round {r}" for r in range(1, int(meta["rounds"]) + 1)) + " |")
    w("|---|---|" + "---:|" * int(meta["rounds"]))
    for size in sizes:
        for name in ORDER + ["derive_sql"]:
            cells = []
            for r in range(1, int(meta["rounds"]) + 1):
                m = next((m for m in measurements if (m.size, m.name, m.round) == (size, name, r)), None)
                cells.append("" if m is None else "failed" if m.failed else f"{m.wall_s:.2f}")
            if any(cells):
                w(f"| {size} | {name} | " + " | ".join(cells) + " |")
    w("")
    w("## Commands")
    w("")
    w("Reproduce with `make bench` (BENCH_SIZES, BENCH_ROUNDS, BENCH_WORK, BENCH_ROW_BY_ROW, BENCH_SKIP: see")
    w("bench/run.sh). Each contender ran as follows, for every size (the first size's paths shown):")
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
