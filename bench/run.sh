#!/usr/bin/env bash
# `make bench`: d2d against its baselines, side by side in one run on this machine; writes
# bench/RESULTS.md. Sizes: BENCH_VEHICLES (default 100 vehicles x 5 s fixes, about half a
# million location rows a day), BENCH_ROUNDS (default 2, contenders alternate within a round),
# BENCH_ROW_BY_ROW (rows for the row-by-row baseline, default 20000, extrapolated per row).
set -euo pipefail
cd "$(dirname "$0")/.."
d2d=build/d2d
vehicles=${BENCH_VEHICLES:-100}
rounds=${BENCH_ROUNDS:-2}
row_by_row_rows=${BENCH_ROW_BY_ROW:-20000}
date=2024-04-01
work=$(mktemp -d /tmp/d2d-bench-XXXXXX)
chmod 755 "$work"
trap 'bash scripts/pg-stop.sh "$work/pg" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

seconds() { # runs a command, prints its wall time in seconds
  local start end
  start=$(date +%s.%N)
  "$@" >"$work/last.out" 2>"$work/last.err" || { cat "$work/last.err" >&2; return 1; }
  end=$(date +%s.%N)
  echo "$end - $start" | bc -l
}

echo "bench: generating $vehicles vehicles for $date" >&2
$d2d generate --out "$work/source" --date $date --vehicles "$vehicles" --interval-s 5 --bad-ratio 0.01 --seed 1 >&2
D2D_PG_DURABLE=1 bash scripts/pg-start.sh "$work/pg" >&2
uri=$(cat "$work/pg/uri")
/usr/bin/python3 bench/transformed_csv.py "$work/source" $date >"$work/rows.csv"
rows=$(wc -l <"$work/rows.csv")
echo "bench: $rows location rows" >&2

keyed_table() { # schema: the keyed table d2d's analysts query, empty
  psql "$uri" -q -v ON_ERROR_STOP=1 <<SQL >/dev/null 2>&1
DROP SCHEMA IF EXISTS $1 CASCADE; CREATE SCHEMA $1;
CREATE TABLE $1.location_update (vehicle_id text COLLATE "C" NOT NULL, at timestamptz NOT NULL,
  lat double precision NOT NULL, lng double precision NOT NULL, organization_id text COLLATE "C",
  lake_date date NOT NULL, event_at timestamptz NOT NULL, PRIMARY KEY (vehicle_id, at));
CREATE INDEX ON $1.location_update (at);
SQL
}

declare -a ours=() copy=()
for round in $(seq 1 "$rounds"); do
  psql "$uri" -qc "DROP SCHEMA IF EXISTS bench_d2d CASCADE" >/dev/null 2>&1
  rm -rf "$work/lake"
  $d2d migrate up --warehouse "$uri" --pg-schema bench_d2d >/dev/null
  ours+=("$(seconds $d2d run --source "$work/source" --lake "$work/lake" --warehouse "$uri" --pg-schema bench_d2d \
    --date $date --max-reject-ratio 1)")
  loaded=$(psql "$uri" -tAc "SELECT COUNT(*) FROM bench_d2d.location_update")
  [[ $loaded == "$rows" ]] || { echo "bench: d2d loaded $loaded rows, the CSV has $rows" >&2; exit 1; }
  keyed_table bench_copy
  copy+=("$(seconds psql "$uri" -v ON_ERROR_STOP=1 -c "\\copy bench_copy.location_update FROM '$work/rows.csv' WITH (FORMAT csv)")")
  echo "bench: round $round: d2d run ${ours[-1]} s, psql \\copy ${copy[-1]} s" >&2
done
read -r rbr_rows rbr_seconds < <(/usr/bin/python3 bench/row_by_row.py "$uri" bench_rbr "$work/rows.csv" "$row_by_row_rows")
echo "bench: row by row: $rbr_rows rows in $rbr_seconds s" >&2

best() { printf '%s\n' "$@" | sort -g | head -n 1; }
ours_s=$(best "${ours[@]}")
copy_s=$(best "${copy[@]}")
rate() { echo "$1 / $2" | bc -l; }
ours_rate=$(rate "$rows" "$ours_s")
copy_rate=$(rate "$rows" "$copy_s")
rbr_rate=$(rate "$rbr_rows" "$rbr_seconds")

{
  echo "# Benchmark results"
  echo
  echo "Written by \`make bench\` (bench/run.sh) on $(date -u +%Y-%m-%d), commit $(git rev-parse --short HEAD)."
  echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(free -g | awk '/Mem:/ {print $2}') GiB;"
  echo "PostgreSQL $(psql "$uri" -tAc 'SHOW server_version') with its default (durable) settings, on loopback."
  echo
  echo "## Loading one generated lake date into PostgreSQL"
  echo
  echo "Input: \`d2d generate --date $date --vehicles $vehicles --interval-s 5 --bad-ratio 0.01 --seed 1\`:"
  echo "$rows location rows after validation and de-duplication. Best of $rounds alternating rounds."
  echo
  echo "| contender | what it does | rows | wall (s) | rows/s | vs d2d |"
  echo "|---|---|---:|---:|---:|---:|"
  printf '| **d2d run** | extract + decode + validate + COPY binary + merge + derive, one transaction | %d | %.2f | %.0f | 1.00 |\n' \
    "$rows" "$ours_s" "$ours_rate"
  printf '| psql \\copy (limit) | already-transformed rows as CSV into one keyed table (PK + index on at), arrival order | %d | %.2f | %.0f | %.2f |\n' \
    "$rows" "$copy_s" "$copy_rate" "$(echo "$copy_rate / $ours_rate" | bc -l)"
  printf '| original design | psycopg2, one INSERT per row, autocommit (first %d rows, extrapolated) | %d | %.2f | %.0f | %.3f |\n' \
    "$rbr_rows" "$rbr_rows" "$rbr_seconds" "$rbr_rate" "$(echo "$rbr_rate / $ours_rate" | bc -l)"
  echo
  printf 'd2d reaches **%.0f%%** of the `\\copy` limit and **%.0f×** the row-by-row design.\n' \
    "$(echo "100 * $ours_rate / $copy_rate" | bc -l)" "$(echo "$ours_rate / $rbr_rate" | bc -l)"
  echo
  echo "All rounds (s): d2d ${ours[*]}; \\copy ${copy[*]}."
  echo
  echo "Reproduce: \`make bench\` (BENCH_VEHICLES, BENCH_ROUNDS and BENCH_ROW_BY_ROW change the sizes)."
} >bench/RESULTS.md
cat bench/RESULTS.md
