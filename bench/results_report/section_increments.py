"""The incremental contenders (issue 19): each size's table, and the cost of an increment across sizes."""

from .contenders import ENGINES, INCR, INCREMENT_TEXT, INCREMENTS, engine_of
from .formatting import fmt_reference, interpolate


def write(out, r):
    w = out.append
    size_info, skipped, incr_sizes, increments, failed, get, fmt_vs = r.size_info, r.skipped, r.incr_sizes, r.increments, r.failed, r.get, r.fmt_vs
    # --- incremental loads (issue 19) ------------------------------------------------------------------
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
    return follows
