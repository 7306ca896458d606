"""The targets of issue 18 (storage v2), each against d2d as it was at the baseline commit, measured in
the same run on the same input: speed, stored bytes per fix, analysts' queries, the same answers."""

from .contenders import LOADS
from .formatting import verdict

ENGINE_TEXT = {"sqlite": "SQLite", "pg": "PostgreSQL"}
SPEEDUP = {"sqlite": 1.6, "pg": 1.4}  # issue 18: times as fast as the baseline
QUERY_TEXT = {"vehicle_day": "one vehicle's fixes over the day", "fleet_hour": "every fix of one hour"}
RELOAD_CLOSE = 1.25  # issue 18 asks for a reload "close to" a load (today 1.7-1.9x); the rule used here
QUERY_NOISE = 1.10  # a query "no slower" within 10%: single queries of a few ms vary that much


def write(out, r):
    w = out.append
    base = r.meta.get("base")
    names = ("d2d_sqlite_base", "d2d_pg_base", "reload_sqlite", "reload_pg")
    if not base or not any(r.get(size, name) for size in r.sizes for name in names):
        return
    w(f"## Targets of issue 18 (against d2d at commit {base}, same run)")
    w("")
    w("| target | measured | result |")
    w("|---|---|---|")
    for size in r.sizes:
        for engine in ENGINE_TEXT:
            ours, old = r.get(size, f"d2d_{engine}"), r.get(size, f"d2d_{engine}_base")
            if not (ours and old):
                continue
            label = f"{size}, {ENGINE_TEXT[engine]}"
            times = old.wall_s / ours.wall_s
            w(
                f"| {label}: `d2d run` ≥ {SPEEDUP[engine]}× as fast as at {base} | {times:.2f}× ({ours.wall_s:.2f} s vs "
                f"{old.wall_s:.2f} s) | {verdict(times >= SPEEDUP[engine])} |"
            )
            if engine == "sqlite" and (limit := r.get(size, "sqlite_limit_int")):
                share = ours.events_per_s / limit.events_per_s
                w(f"| {label}: `d2d run` ≥ 0.6× `sqlite_limit_int` | {share:.2f}× | {verdict(share >= 0.6)} |")
            a, b = ours.analyst, old.analyst
            if a.get("fixes") and b.get("fixes"):
                ratio = (a["bytes"] / a["fixes"]) / (b["bytes"] / b["fixes"])
                w(
                    f"| {label}: stored bytes per fix ≤ 0.7× at {base} | {a['bytes'] / a['fixes']:.1f} vs "
                    f"{b['bytes'] / b['fixes']:.1f} ({ratio:.2f}×) | {verdict(ratio <= 0.7)} |"
                )
                for query, text in QUERY_TEXT.items():
                    if query in a and query in b:
                        q = a[query]["median_ms"] / b[query]["median_ms"]
                        w(
                            f"| {label}: {text} no slower than at {base} (≤ {QUERY_NOISE:.2f}×, medians) | "
                            f"{a[query]['median_ms']:.1f} ms vs {b[query]['median_ms']:.1f} ms ({q:.2f}×) | {verdict(q <= QUERY_NOISE)} |"
                        )
    for size in r.sizes:
        for engine in ENGINE_TEXT:
            m = r.get(size, f"reload_{engine}")
            if m is None or (v := r.vs_one_shot(m)) is None:
                continue
            ratio, rnd, t, shot = v
            same = m.check["verdict"] == "equal"
            w(
                f"| {size}, {ENGINE_TEXT[engine]}: running the loaded date again (`--force`) close to a load into an empty "
                f"warehouse (≤ {RELOAD_CLOSE:.2f}×) and giving the same warehouse | {ratio:.2f}× ({t:.2f} s vs {shot:.2f} s"
                f"{f', round {rnd}' if rnd is not None else ''}); {'equal to' if same else m.check['verdict'] + ' from'} "
                f"the one-shot load | {verdict(ratio <= RELOAD_CLOSE and same)} |"
            )
        for name in LOADS:
            m = r.get(size, name)
            if m is not None and "matches" in m.extra:
                w(f"| {size}: {name}'s answer (`d2d report`) equal to d2d's reference | "
                  f"{'equal' if m.extra['matches'] else 'differs'} | {verdict(m.extra['matches'])} |")
    w("")
    w(
        "Peak RSS and linear time are in the targets of issue 5 above; the PostgreSQL load against the "
        "original design (≥ 50×) too."
    )
    w("")
