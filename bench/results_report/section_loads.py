"""The loads alone in rows/s: PostgreSQL against \\copy and the original design, SQLite against its engine."""

from .formatting import fmt_rate, fmt_ratio


def write(out, r):
    w = out.append
    sizes, size_info, rbr, get = r.sizes, r.size_info, r.rbr, r.get
    # --- issue 3's table: PostgreSQL loads in rows/s -------------------------------------------------
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
            f"| psql \\copy (limit) | already-transformed rows with their integer keys as CSV into d2d's own location_fix (PK, one BRIN on at and lake_date), "
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
