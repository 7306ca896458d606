"""Reading the results folder's files, and one measured run of a contender reduced to per-input figures."""

import csv
import json
import math
import os

from .contenders import BENCHMARK_CONTENDERS, INCR, LOADS, RELOADS


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
        elif self.name in LOADS or self.name in INCR or self.name in RELOADS:
            phases = read_text(self.log + ".phases")
            try:
                runs = json.loads(phases) if phases else []
                self.extra = {"phases": runs[-1] if runs else {}}
            except ValueError:
                self.extra = {"phases": {}}
            if self.name in ("d2d_pg", "d2d_pg_base"):
                self.extra["rows"] = int(read_text(self.log + ".rows", "0") or 0)
            if self.name in LOADS:
                # The answer this load gives, against d2d's reference answer on the same input.
                self.extra["matches"] = compare_answers(read_text(self.log + ".report.json"), size_info["reference"])
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
