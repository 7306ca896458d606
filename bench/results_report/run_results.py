"""Everything bench/run.sh left in one results folder, read once, with each contender's best round."""

import csv
import os

from .contenders import INCR, RELOADS, engine_of
from .measurements import Measurement, read_text, read_tsv


class RunResults:
    """The run's settings (meta.env), inputs, measurements, skips, commands, increments and checks."""

    def __init__(self, results):
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
        # What analysts get from each d2d load: stored bytes per fix and two queries' times (ms).
        analyst = {}
        for row in read_tsv(os.path.join(results, "analyst.tsv")):
            figures = analyst.setdefault((row[0], int(row[1]), row[2]), {})
            if row[3] == "bytes":
                figures["bytes"], figures["fixes"] = int(row[4]), int(row[5])
            else:
                figures[row[3]] = {"median_ms": float(row[4]), "min_ms": float(row[5]), "max_ms": float(row[6]), "rows": int(row[7])}
        for m in measurements:
            m.analyst = analyst.get((m.size, m.round, m.name), {})
        for m in measurements:
            check = checks.get((m.size, m.round, m.name))
            if (m.name in INCR or m.name in RELOADS) and not m.failed:
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

        self.meta = meta
        self.sizes = sizes
        self.size_info = size_info
        self.measurements = measurements
        self.skipped = skipped
        self.commands = commands
        self.incr_sizes = incr_sizes
        self.increments = increments
        self.best = best
        self.failed = failed
        # The original design's best round, wherever it ran (only on the smallest size).
        self.rbr = next((m for m in best.values() if m.name == "row_by_row"), None)

    def get(self, size, name):
        return self.best.get((size, name))

    def vs_one_shot(self, m):
        """(ratio, round, incremental wall, one-shot wall): against the one-shot load of the engine in
        the same round as m (its best), else the one-shot's best round (round None); None without one."""
        one_shot = f"d2d_{engine_of(m.name)}"
        shot = next((o for o in self.measurements if (o.size, o.round, o.name) == (m.size, m.round, one_shot) and not o.failed), None)
        same_round = shot is not None
        shot = shot or self.get(m.size, one_shot)
        if shot is None:
            return None
        return (m.wall_s / shot.wall_s, m.round if same_round else None, m.wall_s, shot.wall_s)

    def fmt_vs(self, m):
        v = self.vs_one_shot(m)
        if v is None:
            return "no one-shot"
        return f"{100 * v[0]:.0f}%" + ("" if v[1] is not None else " (vs the one-shot's best round)")
