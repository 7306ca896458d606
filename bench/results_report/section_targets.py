"""The targets of issues 5 and 19, each with its measured figure and PASS or FAIL."""

import math

from .contenders import ENGINES, INCR, engine_of
from .formatting import fmt_rate, verdict


def write(out, r, follows):
    w = out.append
    sizes, size_info, measurements, incr_sizes, increments, best, rbr, get, vs_one_shot = r.sizes, r.size_info, r.measurements, r.incr_sizes, r.increments, r.best, r.rbr, r.get, r.vs_one_shot
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
