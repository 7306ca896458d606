"""Writes bench/RESULTS.md from what bench/run.sh measured in this run (its results folder).

Every figure is computed here from the measurements: rates, ratios, the best round of each
contender, and the targets of issues 5, 18 and 19 with PASS/FAIL. Standard library only.
Usage: report.py RESULTS_DIR > bench/RESULTS.md

The work is in results_report/ beside this script (its folder is on sys.path when it runs):
run_results reads the folder, each section_* module writes one part of the report, in order.
"""
import sys

from results_report import (
    section_details,
    section_increments,
    section_loads,
    section_overview,
    section_sizes,
    section_storage_targets,
    section_targets,
)
from results_report.run_results import RunResults


def main():
    results = RunResults(sys.argv[1])
    out = []
    section_overview.write(out, results)
    section_sizes.write(out, results)
    section_loads.write(out, results)
    follows = section_increments.write(out, results)
    section_targets.write(out, results, follows)
    section_storage_targets.write(out, results)
    section_details.write(out, results)
    print("\n".join(out))


if __name__ == "__main__":
    main()
