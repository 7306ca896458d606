"""The report's tail: every round of every contender, the commands as run, the run's length."""

import time

from .contenders import INCR, ORDER, RELOADS


def write(out, r):
    w = out.append
    meta, sizes, measurements, commands = r.meta, r.sizes, r.measurements, r.commands
    # --- details ----------------------------------------------------------------------------------
    w("## Every round (wall seconds; for parse limit and decode, per pass)")
    w("")
    w("| size | contender | " + " | ".join(f"round {r}" for r in range(1, int(meta["rounds"]) + 1)) + " |")
    w("|---|---|" + "---:|" * int(meta["rounds"]))
    for size in sizes:
        for name in ORDER + ["derive_sql"] + INCR + RELOADS:
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
