"""bench/report.py in parts: reading a results folder of bench/run.sh, and the sections of RESULTS.md."""
