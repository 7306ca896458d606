"""The report's head: the run, the machine, the inputs and how to read the tables."""




def write(out, r):
    w = out.append
    meta, sizes, size_info = r.meta, r.sizes, r.size_info
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
