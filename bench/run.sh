#!/usr/bin/env bash
# `make bench` (issues 3 and 5): d2d and every alternative side by side, on the same generated
# lake dates, in the same run, alternating within each round; writes bench/RESULTS.md.
#
# Contenders (what each one measures is spelled out in bench/RESULTS.md):
#   parse_limit, parse_limit_portable  bare simdjson iterate_many over the files (Google Benchmark)
#   decode                             d2d's LineSplitter + LineDecoder + COPY row encoding (Google Benchmark)
#   d2d_sqlite, d2d_pg                 a whole `d2d run` into a fresh SQLite file / PostgreSQL schema
#   d2d_sqlite_base, d2d_pg_base       the same by d2d as it was at BENCH_BASE; after every d2d load
#                                      (untimed) the warehouse's stored bytes per fix and two analyst
#                                      queries through location_update (bench/analyst_queries.py)
#   derive_sql                         bench/derive_in_sql.sql on the schema d2d_pg just loaded (issue 3),
#                                      checked equal to d2d's distances; compared with d2d's derive phase
#   sqlite_limit                       d2d's transformed rows into d2d's own SQLite table, in key order,
#                                      one prepared 100-row INSERT, one transaction (bench/sqlite_limit.cpp)
#   sqlite_limit_int                   the same rows into an integer-keyed table (--keys integer)
#   copy                               psql \copy of d2d's transformed rows as CSV into a keyed table
#   row_by_row                         the original design, on the smallest size, a sample extrapolated
#   duckdb                             DuckDB (npm) answering from the JSON files, checked against d2d
#   pandas                             read_json(lines=True) + to_sql into SQLite, where memory allows
#   incr_last10_sqlite, incr_last10_pg  (issue 19) the first 90% of the date's objects (key order) loaded
#                                      untimed, then the other 10% added and a second `d2d run` timed
#   incr_last1_*, incr_last5_*, incr_last25_*  the same with the last 1%, 5%, 25%: the cost of an increment
#   incr_1min_sqlite, incr_1min_pg     the whole date but one busy minute (midday) loaded untimed, then that minute
#                                      added as one new object (the middle object split, see
#                                      bench/incremental.py) and the run timed
#                                      Each incremental result is checked equal to the one-shot load of
#                                      d2d_sqlite / d2d_pg (analyst relations and report); a difference
#                                      fails the contender.
#
# Settings (environment):
#   BENCH_SIZES       events per lake date, e.g. "1M 4M 16M" (default) or "200k" for a quick run
#   BENCH_ROUNDS      rounds per size (default 2); the best round of each contender is reported
#   BENCH_WORK        folder for the generated inputs, kept between runs (default /tmp/d2d-bench)
#   BENCH_ROW_BY_ROW  lines of the original design's sample (default 20000)
#   BENCH_SKIP        contenders to leave out, e.g. "pandas duckdb" (RESULTS.md says so); "incremental"
#                     leaves out every incr_* contender
#   BENCH_INCR_SIZES  the sizes the incr_* contenders run at (default: the first two of BENCH_SIZES,
#                     "1M 4M" by default); each must be one of BENCH_SIZES
#   BENCH_BASE        the commit d2d_sqlite_base and d2d_pg_base are built from (default 8aacf95, the
#                     code before storage v2 began); built once by bench/build_baseline.sh into
#                     $BENCH_WORK/baseline
#
# This file is the driver: settings, the run's folder, then the run below. The work it calls is in
# bench/lib/, sourced here: inputs.sh (the generated lake dates), measure.sh, postgres.sh, the
# contenders by family (contenders_d2d.sh, contenders_limits.sh, contenders_alternatives.sh,
# incremental.sh) and incremental_checks.sh (each incremental result against a one-shot load).
set -Eeuo pipefail # -E: the ERR trap below also names failures inside functions
cd "$(dirname "$0")/.."
repo=$PWD
d2d=$repo/build/d2d
sizes=${BENCH_SIZES:-1M 4M 16M}
rounds=${BENCH_ROUNDS:-2}
work=${BENCH_WORK:-/tmp/d2d-bench}
rbr_lines=${BENCH_ROW_BY_ROW:-20000}
skip=" ${BENCH_SKIP:-} "
read -r -a size_list <<<"$sizes"
incr_sizes=${BENCH_INCR_SIZES-${size_list[*]:0:2}}
base_commit=${BENCH_BASE:-8aacf95}
base_d2d="" # built below unless both baseline contenders are skipped
date=2024-04-01
day_path=2024/04/01 # the nested layout's folder of that lake date
pg_uri="" # set once the PostgreSQL server runs
python=/usr/bin/python3 # Debian's python3, with python3-psycopg2 and python3-pandas

for tool in "$d2d" build/d2d_parse_limit build/d2d_parse_limit_portable build/d2d_decode_bench build/d2d_sqlite_limit; do
  [[ -x $tool ]] || { echo "bench: $tool is missing (make build)" >&2; exit 1; }
done
[[ -x /usr/bin/time ]] || { echo "bench: /usr/bin/time is missing (scripts/install-deps.sh)" >&2; exit 1; }

mkdir -p "$work"
chmod 755 "$work" # the postgres server user reads nothing here, but psql runs as us
run=$(mktemp -d "$work/run-XXXXXX")
chmod 755 "$run"
trap 'bash scripts/pg-stop.sh "$run/pg" >/dev/null 2>&1 || true; rm -rf "$run"' EXIT
mkdir -p "$run/logs" "$run/scratch"
results=$run/results # what bench/report.py reads
mkdir -p "$results"
: >"$results/measurements.tsv"
: >"$results/skipped.tsv"
: >"$results/commands.txt"
: >"$results/increments.tsv"
: >"$results/checks.tsv"
: >"$results/analyst.tsv"

say() { echo "bench: $*" >&2; }
trap 'say "stopped: ${BASH_SOURCE[0]#"$repo/"} line $LINENO: $BASH_COMMAND exited $?"' ERR
skipped() { [[ $skip == *" $1 "* || ($1 == incr_* && $skip == *" incremental "*) ]]; }
# The incremental contenders (issue 19): each names its plan in $run/plan/SIZE (NAME.base, NAME.new).
incr_contenders=()
for increment in 1min last1 last5 last10 last25; do incr_contenders+=("incr_${increment}_sqlite" "incr_${increment}_pg"); done
# Issue 18: the whole date loaded (untimed), then run again with --force and timed: what reloading a
# date the warehouse holds costs against a load into an empty one. Planned, run and checked as the
# incremental contenders are (BENCH_INCR_SIZES); BENCH_SKIP names them one by one.
incr_contenders+=(reload_sqlite reload_pg)
incr_at() { [[ " $incr_sizes " == *" $1 "* ]]; }
uses_pg() { [[ $1 == d2d_pg || $1 == d2d_pg_base || $1 == copy || $1 == row_by_row || $1 == derive_sql || $1 == incr_*_pg || $1 == reload_pg ]]; }

# shellcheck source=bench/lib/inputs.sh
source "$repo/bench/lib/inputs.sh"
# shellcheck source=bench/lib/measure.sh
source "$repo/bench/lib/measure.sh"
# shellcheck source=bench/lib/postgres.sh
source "$repo/bench/lib/postgres.sh"
# shellcheck source=bench/lib/contenders_d2d.sh
source "$repo/bench/lib/contenders_d2d.sh"
# shellcheck source=bench/lib/contenders_limits.sh
source "$repo/bench/lib/contenders_limits.sh"
# shellcheck source=bench/lib/contenders_alternatives.sh
source "$repo/bench/lib/contenders_alternatives.sh"
# shellcheck source=bench/lib/incremental.sh
source "$repo/bench/lib/incremental.sh"
# shellcheck source=bench/lib/incremental_checks.sh
source "$repo/bench/lib/incremental_checks.sh"

# --- the run ---------------------------------------------------------------------------------------
{
  echo "date_utc=$(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "started_epoch=$(date +%s)"
  echo "commit=$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src bench || echo ' (with local changes)')"
  echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo "cores=$(nproc)"
  echo "memory_gib=$(awk '/MemTotal/ {printf "%.0f", $2 / 1048576}' /proc/meminfo)"
  # shellcheck disable=SC1091
  echo "os=$(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r)"
  echo "compiler=$(c++ --version | head -n 1)"
  echo "load_at_start=$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "sizes=$sizes"
  echo "rounds=$rounds"
  echo "row_by_row_lines=$rbr_lines"
  echo "skip=${BENCH_SKIP:-}"
  echo "incr_sizes=$incr_sizes"
  echo "base=$base_commit"
} >"$results/meta.env"
for size in $incr_sizes; do
  [[ " $sizes " == *" $size "* ]] || { echo "bench: BENCH_INCR_SIZES names $size, which is not in BENCH_SIZES ($sizes)" >&2; exit 1; }
done
any_incr_pg=0
for name in "${incr_contenders[@]}"; do
  if [[ -n $incr_sizes && $name == *_pg ]] && ! skipped "$name"; then any_incr_pg=1; fi
done

for size in $sizes; do ensure_input "$size"; done

if ! skipped d2d_sqlite_base || ! skipped d2d_pg_base; then
  say "building d2d at $base_commit for the baseline contenders (once; kept in $work/baseline)"
  base_d2d=$(bash bench/build_baseline.sh "$base_commit" "$work/baseline")
  echo "base_version=$("$base_d2d" --version)" >>"$results/meta.env"
fi

if ! skipped duckdb; then
  say "installing DuckDB (npm ci in bench/duckdb)"
  (cd bench/duckdb && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  echo "duckdb=$(node -e "console.log(require('./bench/duckdb/node_modules/@duckdb/node-api/package.json').version)")" \
    >>"$results/meta.env"
fi

if ! skipped d2d_pg || ! skipped d2d_pg_base || ! skipped copy || ! skipped row_by_row || ((any_incr_pg)); then
  start_postgres
fi
{
  echo "sqlite=$(sqlite3 --version | cut -d' ' -f1)"
  echo "pandas=$($python -c 'import pandas; print(pandas.__version__)' 2>/dev/null || echo missing)"
  echo "simdjson=$(dpkg-query -W -f='${Version}' libsimdjson-dev)"
  echo "node=$(node --version)"
} >>"$results/meta.env"

smallest=${sizes%% *}
for size in $sizes; do
  ensure_reference "$size"
  cp "$work/inputs/$size/reference/figures" "$results/$size.figures"
  cp "$work/inputs/$size/reference/report.json" "$results/$size.reference.json"
  cp "$work/inputs/$size/generate_seconds" "$results/$size.generate_seconds"
  generate_args "$size" >"$results/$size.generate_args"
  wc -l <"$work/inputs/$size/reference/rows.csv" >"$results/$size.rows"

  contenders=(parse_limit parse_limit_portable decode d2d_sqlite d2d_sqlite_base sqlite_limit sqlite_limit_int d2d_pg d2d_pg_base
    copy duckdb pandas)
  [[ $size == "$smallest" ]] && contenders+=(row_by_row)
  if incr_at "$size"; then
    contenders+=("${incr_contenders[@]}")
  else
    printf '%s\tincr_*\tthe incremental contenders run at BENCH_INCR_SIZES only (%s)\n' "$size" "${incr_sizes:-none}" \
      >>"$results/skipped.tsv"
  fi
  active=()
  compare_states=0
  for name in "${contenders[@]}"; do
    if skipped "$name"; then
      printf '%s\t%s\tleft out by BENCH_SKIP\n' "$size" "$name" >>"$results/skipped.tsv"
    elif [[ $name == pandas ]] && ! pandas_fits "$size"; then
      say "$size: pandas skipped ($(tail -n 1 "$results/skipped.tsv" | cut -f3))"
    else
      active+=("$name")
      if [[ $name == incr_* || $name == reload_* ]]; then compare_states=1; fi
    fi
  done
  if ((compare_states)); then make_plan "$size"; fi

  for round in $(seq 1 "$rounds"); do
    # Alternate: every contender once per round, the order rotated from round to round.
    n=${#active[@]}
    for i in $(seq 0 $((n - 1))); do
      "contender_${active[$(((i + round - 1) % n))]}" "$size" "$round"
    done
  done
  if ((compare_states)); then check_incremental "$size"; fi
done

$python bench/report.py "$results" >bench/RESULTS.md
cat bench/RESULTS.md
