"""One table per size: every contender's best round against ours, d2d's phases, the SQL derivation."""

from .contenders import COMPARED_WITH, INCR, LOADS, ORDER, OURS
from .formatting import fmt_rate, fmt_ratio


def write(out, r):
    w = out.append
    sizes, size_info, skipped, failed, get = r.sizes, r.size_info, r.skipped, r.failed, r.get
    descriptions = {
        "parse_limit": "parse limit: bare simdjson `iterate_many`, fields touched, single thread, -march=native",
        "parse_limit_portable": "the same built with d2d's compiler flags",
        "decode": "**ours**: `LineSplitter` + `LineDecoder` + the binary COPY row of each fix: decode + validate + encode, single thread",
        "d2d_sqlite": "**ours**: whole `d2d run` into a fresh SQLite file",
        "d2d_pg": "**ours**: whole `d2d run` into PostgreSQL, fresh schema, one transaction",
        "d2d_sqlite_base": f"the same `d2d run` into SQLite by d2d at commit {r.meta.get('base', '?')} (built by bench/build_baseline.sh)",
        "d2d_pg_base": f"the same `d2d run` into PostgreSQL by d2d at commit {r.meta.get('base', '?')}",
        "sqlite_limit": "SQLite warehouse limit: d2d's transformed rows, held in memory, into a fresh file made by d2d's "
        "migrations (same table, same indexes, same pragmas), key order, one prepared `INSERT` of 100 rows (as d2d), one transaction; "
        "insert + commit (with its WAL checkpoint) timed",
        "sqlite_limit_int": "the same rows into a table d2d does not have, every text an integer (vehicle and organization "
        "interned, times in µs, the date a day number), same key: what no schema with these columns could beat",
        "copy": "warehouse limit: `psql \\copy` of d2d's transformed rows with their integer keys (CSV, time order) into d2d's location_fix (created by its migrations)",
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
        write_analyst_figures(w, r, size)
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


def write_analyst_figures(w, r, size):
    """Stored bytes per fix and two analyst queries through location_update, for each d2d load's
    best round (bench/analyst_queries.py: median of 7 runs after one untimed run)."""
    rows = [(name, m) for name in LOADS if (m := r.get(size, name)) is not None and m.analyst.get("fixes")]
    if not rows:
        return
    w(
        "What analysts get from each load above (untimed, after the load): the warehouse's stored bytes per fix "
        "(SQLite: the file after a WAL checkpoint; PostgreSQL: every table of the schema with its indexes), and two "
        "queries through `location_update`, median of 7 runs after one untimed run (min–max):"
    )
    w("")
    w("| load | stored bytes per fix | one vehicle's fixes over the day (ms) | every fix of 12:00–13:00 (ms) |")
    w("|---|---:|---:|---:|")
    for name, m in rows:
        a = m.analyst
        cells = [f"{a['bytes'] / a['fixes']:,.1f}"]
        for query in ("vehicle_day", "fleet_hour"):
            q = a.get(query)
            cells.append(f"{q['median_ms']:,.1f} ({q['min_ms']:,.1f}–{q['max_ms']:,.1f}; {q['rows']:,} rows)" if q else "")
        w(f"| {name} | " + " | ".join(cells) + " |")
    w("")
