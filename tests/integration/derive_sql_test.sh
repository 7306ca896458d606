#!/usr/bin/env bash
# bench/derive_in_sql.sql, the set-based SQL derivation measured against d2d's C++ one (issue 3,
# docs/decisions.md), derives exactly what d2d stores: after every load of generated lake dates
# with breaks, loaded out of order (open breaks closed by a later load), and on the shared sample.
# Usage: derive_sql_test.sh D2D_BINARY PG_DIR (the ctest fixture's server) REPO SAMPLE_DIR
set -euo pipefail
d2d=$1 uri=$(cat "$2/uri") repo=$3 sample=$4
work=$(mktemp -d)
schema="derive_sql_$$"
drop() { psql "$uri" -q -c "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 || true; }
trap 'drop; rm -rf "$work"' EXIT

check() { # the SQL derivation on the schema as d2d left it; fails when any row differs
  psql "$uri" -q -v ON_ERROR_STOP=1 -v schema="$schema" -1 \
    -f "$repo/bench/derive_in_sql.sql" -f "$repo/bench/derive_in_sql_check.sql" | tee -a "$work/checks"
}
load() { # SOURCE DATE
  "$d2d" -q run --source "$1" --lake "$work/lake" --warehouse "$uri" --pg-schema "$schema" --date "$2" \
    --max-reject-ratio 1 >/dev/null
}

"$d2d" -q generate --out "$work/source" --date 2024-04-01 --days 2 --vehicles 8 --interval-s 5 --breaks \
  --bad-ratio 0.01 --seed 7 >/dev/null
drop
"$d2d" -q migrate up --warehouse "$uri" --pg-schema "$schema" >/dev/null
for date in 2024-04-02 2024-04-01 2024-04-03; do
  [[ -d $work/source/2024/04/${date:8:2} ]] || continue
  load "$work/source" "$date"
  check
done
# The generated days must have exercised breaks, or the comparison proves little.
grep -q ' [1-9][0-9]* breaks$' "$work/checks" || { echo "derive_sql_test: no breaks were derived" >&2; exit 1; }

if [[ -d $sample ]]; then
  drop
  rm -rf "$work/lake"
  "$d2d" -q migrate up --warehouse "$uri" --pg-schema "$schema" >/dev/null
  load "$sample" 2019-06-01
  check
fi
