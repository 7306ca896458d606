#!/usr/bin/env bash
# `make bench` (issues 3 and 5): d2d and every alternative side by side, on the same generated
# lake dates, in the same run, alternating within each round; writes bench/RESULTS.md.
#
# Contenders (what each one measures is spelled out in bench/RESULTS.md):
#   parse_limit, parse_limit_portable  bare simdjson iterate_many over the files (Google Benchmark)
#   decode                             d2d's LineSplitter + LineDecoder + COPY row encoding (Google Benchmark)
#   d2d_sqlite, d2d_pg                 a whole `d2d run` into a fresh SQLite file / PostgreSQL schema
#   derive_sql                         bench/derive_in_sql.sql on the schema d2d_pg just loaded (issue 3),
#                                      checked equal to d2d's distances; compared with d2d's derive phase
#   sqlite_limit                       d2d's transformed rows into d2d's own SQLite table, in key order,
#                                      one prepared 100-row INSERT, one transaction (bench/sqlite_limit.cpp)
#   sqlite_limit_int                   the same rows into an integer-keyed table (--keys integer)
#   copy                               psql \copy of d2d's transformed rows as CSV into a keyed table
#   row_by_row                         the original design, on the smallest size, a sample extrapolated
#   duckdb                             DuckDB (npm) answering from the JSON files, checked against d2d
#   pandas                             read_json(lines=True) + to_sql into SQLite, where memory allows
#
# Settings (environment):
#   BENCH_SIZES       events per lake date, e.g. "1M 4M 16M" (default) or "200k" for a quick run
#   BENCH_ROUNDS      rounds per size (default 2); the best round of each contender is reported
#   BENCH_WORK        folder for the generated inputs, kept between runs (default /tmp/d2d-bench)
#   BENCH_ROW_BY_ROW  lines of the original design's sample (default 20000)
#   BENCH_SKIP        contenders to leave out, e.g. "pandas duckdb" (RESULTS.md says so)
set -Eeuo pipefail # -E: the ERR trap below also names failures inside functions
cd "$(dirname "$0")/.."
repo=$PWD
d2d=$repo/build/d2d
sizes=${BENCH_SIZES:-1M 4M 16M}
rounds=${BENCH_ROUNDS:-2}
work=${BENCH_WORK:-/tmp/d2d-bench}
rbr_lines=${BENCH_ROW_BY_ROW:-20000}
skip=" ${BENCH_SKIP:-} "
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

say() { echo "bench: $*" >&2; }
trap 'say "stopped: line $LINENO: $BASH_COMMAND exited $?"' ERR
skipped() { [[ $skip == *" $1 "* ]]; }

# --- sizes -----------------------------------------------------------------------------------------
# One vehicle working one shift at 5 s fixes yields about 5,200 events a lake date (shifts of 5-10
# hours), so the fleet size sets the events: 200 vehicles ~ 1M, 800 ~ 4M, 3200 ~ 16M.
events_of() { # "1M" -> 1000000, "200k" -> 200000
  local n=${1%[kKmM]}
  case $1 in
    *[kK]) echo $((n * 1000)) ;;
    *[mM]) echo $((n * 1000000)) ;;
    *) echo "$1" ;;
  esac
}
vehicles_of() { local v=$(($(events_of "$1") / 5000)); echo $((v < 1 ? 1 : v)); }
generate_args() { echo "--date $date --vehicles $(vehicles_of "$1") --interval-s 5 --breaks --bad-ratio 0.01 --seed 1"; }

# Generates a size once; the stamp holds the generator's arguments, so other settings regenerate.
ensure_input() {
  local size=$1 dir=$work/inputs/$1 args
  args=$(generate_args "$size")
  if [[ -f $dir/stamp && $(cat "$dir/stamp") == "$args" ]]; then
    say "$size: input cached in $dir"
    return
  fi
  rm -rf "$dir" && mkdir -p "$dir"
  say "$size: generating ($args)"
  local started=$SECONDS
  # shellcheck disable=SC2086 # args is a list of flags
  $d2d generate --out "$dir/source.partial" $args >"$dir/generate.log"
  mv "$dir/source.partial" "$dir/source"
  echo "$((SECONDS - started))" >"$dir/generate_seconds"
  echo "$args" >"$dir/stamp"
}

# d2d's own result on a size, untimed, kept beside the input for this d2d binary: the answer the
# DuckDB contender must match, and the transformed rows for \copy, in time order (event at) as
# they arrive. It also brings the input into the page cache before any contender runs.
ensure_reference() {
  local size=$1 dir=$work/inputs/$1 binary
  binary=$(md5sum <"$d2d" | cut -d' ' -f1)
  if [[ -f $dir/reference/binary && $(cat "$dir/reference/binary") == "$binary" ]]; then
    cat "$dir/source/$day_path"/*/*/* >/dev/null # the page cache, as a fresh reference would leave it
    return
  fi
  say "$size: reference run (d2d into SQLite, untimed)"
  rm -rf "$dir/reference" && mkdir -p "$dir/reference"
  local ref=$dir/reference
  $d2d -q run --source "$dir/source" --lake "$run/scratch/ref-lake" --warehouse "$ref/d2d.db" --date $date \
    --max-reject-ratio 1 >/dev/null
  rm -rf "$run/scratch/ref-lake"
  $d2d report --format json --warehouse "$ref/d2d.db" >"$ref/report.json"
  sqlite3 -csv "$ref/d2d.db" "SELECT vehicle_id, at, lat, lng, organization_id, lake_date, event_at
    FROM location_update ORDER BY event_at, vehicle_id" >"$ref/rows.csv"
  sqlite3 "$ref/d2d.db" "SELECT events_read || ' ' || bytes FROM etl_run WHERE status = 'succeeded'" >"$ref/figures"
  rm -f "$ref/d2d.db"*
  echo "$binary" >"$ref/binary"
}

# --- measuring -------------------------------------------------------------------------------------
# CPU seconds used so far by the PostgreSQL server: the postmaster, its reaped children (backends
# that exited) and its living children. Added to the client's CPU for the contenders that load it.
pg_postmaster() { head -n 1 "$(cat "$run/pg/server_dir")/data/postmaster.pid"; }
# A backend's CPU moves into the postmaster's cutime only once it is reaped (a zombie shows none):
# wait (at most 10 s) until the client's backends are gone and reaped before reading.
pg_settle() {
  local pid children
  pid=$(pg_postmaster)
  for _ in $(seq 1 100); do
    children=$(ps -o stat=,args= --ppid "$pid") # pgrep cannot show the Z state
    grep -qE '^Z|127\.0\.0\.1\(' <<<"$children" || return 0
    sleep 0.1
  done
}
pg_cpu() {
  local pid hz ticks=0 stat process
  local -a fields
  pg_settle
  pid=$(pg_postmaster)
  hz=$(getconf CLK_TCK)
  for process in "$pid" $(pgrep -P "$pid" || true); do
    stat=$(cat "/proc/$process/stat" 2>/dev/null) || continue # a backend that just exited
    read -r -a fields <<<"${stat##*) }"                        # fields[0] is the state (field 3)
    ticks=$((ticks + fields[11] + fields[12]))                  # utime + stime
    [[ $process == "$pid" ]] && ticks=$((ticks + fields[13] + fields[14])) # + reaped children
  done
  echo "scale=2; $ticks / $hz" | bc
}

# measure SIZE ROUND CONTENDER COMMAND...: runs the command under /usr/bin/time and appends a row
# (size, round, contender, wall s, CPU s, peak RSS KB, server CPU s, log prefix) to measurements.tsv.
# A failing contender is recorded as failed and the run goes on.
measure() {
  local size=$1 round=$2 name=$3
  shift 3
  local log=$run/logs/$size-$round-$name server_before=0 server_after=0 status=0
  # The command as run, once per contender, without the server's password or this run's folder.
  if ! grep -q "^$name " "$results/commands.txt"; then
    local shown="$name $*"
    # shellcheck disable=SC2016 # the names are meant literally
    [[ -n ${pg_uri:-} ]] && shown=${shown//"$pg_uri"/'$PG_URI'}
    # shellcheck disable=SC2016
    shown=${shown//"$run"/'$RUN'}
    # shellcheck disable=SC2016
    shown=${shown//"$work"/'$BENCH_WORK'}
    echo "${shown//"$repo/"/}" >>"$results/commands.txt"
  fi
  [[ $name == d2d_pg || $name == copy || $name == row_by_row || $name == derive_sql ]] && server_before=$(pg_cpu)
  /usr/bin/time -f '%e %U %S %M' -o "$log.time" "$@" >"$log.out" 2>"$log.err" || status=$?
  [[ $name == d2d_pg || $name == copy || $name == row_by_row || $name == derive_sql ]] && server_after=$(pg_cpu)
  if ((status != 0)); then
    say "$size round $round: $name FAILED (exit $status): $(grep -i -m1 error "$log.err" || tail -n 1 "$log.err")"
    printf '%s\t%s\t%s\tfailed\t\t\t\t%s\n' "$size" "$round" "$name" "$log" >>"$results/measurements.tsv"
    return 0
  fi
  local wall user sys rss
  read -r wall user sys rss < <(tail -n 1 "$log.time")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$size" "$round" "$name" "$wall" \
    "$(echo "$user + $sys" | bc -l)" "$rss" "$(echo "$server_after - $server_before" | bc -l)" "$log" \
    >>"$results/measurements.tsv"
  say "$size round $round: $name ${wall}s, peak RSS $((rss / 1024)) MB"
}

# --- the contenders --------------------------------------------------------------------------------
# Untimed SQL around the PostgreSQL contenders; a failure (say, the server went away) fails only
# the contender, which is then recorded as failed.
pg_sql() { psql "$pg_uri" -q -v ON_ERROR_STOP=1 "$@" >"$run/logs/psql.out" 2>&1 || { cat "$run/logs/psql.out" >&2; return 1; }; }
setup_failed() { # SIZE ROUND CONTENDER WHY
  say "$1 round $2: $3 FAILED in setup: $4"
  echo "setup: $4" >"$run/logs/$1-$2-$3.err"
  printf '%s\t%s\t%s\tfailed\t\t\t\t%s\n' "$1" "$2" "$3" "$run/logs/$1-$2-$3" >>"$results/measurements.tsv"
}

# Each takes SIZE ROUND. Setup and clean-up around the measured command are not timed.
days_dir() { echo "$work/inputs/$1/source/$day_path"; }

contender_parse_limit() { measure "$1" "$2" parse_limit build/d2d_parse_limit --benchmark_format=json "$(days_dir "$1")"; }
contender_parse_limit_portable() {
  measure "$1" "$2" parse_limit_portable build/d2d_parse_limit_portable --benchmark_format=json "$(days_dir "$1")"
}
contender_decode() { measure "$1" "$2" decode build/d2d_decode_bench --benchmark_format=json "$(days_dir "$1")"; }

# A fresh lake and warehouse each time, so no run finds the date already loaded.
contender_d2d_sqlite() {
  local scratch=$run/scratch/sqlite
  rm -rf "$scratch" && mkdir -p "$scratch"
  measure "$1" "$2" d2d_sqlite "$d2d" run --source "$work/inputs/$1/source" --lake "$scratch/lake" \
    --warehouse "$scratch/d2d.db" --date $date --max-reject-ratio 1
  if [[ -f $scratch/d2d.db ]]; then
    sqlite3 -json "$scratch/d2d.db" "SELECT * FROM etl_run WHERE status = 'succeeded'" \
      >"$run/logs/$1-$2-d2d_sqlite.phases" || true
  fi
  rm -rf "$scratch"
}

contender_d2d_pg() {
  local scratch=$run/scratch/pg
  rm -rf "$scratch" && mkdir -p "$scratch"
  if ! { pg_sql -c "DROP SCHEMA IF EXISTS bench_d2d CASCADE" \
    && $d2d -q migrate up --warehouse "$pg_uri" --pg-schema bench_d2d >/dev/null; }; then
    setup_failed "$1" "$2" d2d_pg "could not prepare schema bench_d2d"
    return 0
  fi
  measure "$1" "$2" d2d_pg "$d2d" run --source "$work/inputs/$1/source" --lake "$scratch/lake" \
    --warehouse "$pg_uri" --pg-schema bench_d2d --date $date --max-reject-ratio 1
  psql "$pg_uri" -qAt -c "SELECT json_agg(r) FROM bench_d2d.etl_run r WHERE status = 'succeeded'" \
    >"$run/logs/$1-$2-d2d_pg.phases" 2>/dev/null || true
  psql "$pg_uri" -qAt -c "SELECT COUNT(*) FROM bench_d2d.location_update" >"$run/logs/$1-$2-d2d_pg.rows" || true
  # The derivation as set-based SQL on what d2d just loaded, timed on its own; a result that differs
  # from d2d's vehicle_operating_period_distance fails it (docs/decisions.md, "Derivation: C++ or SQL").
  skipped derive_sql || measure "$1" "$2" derive_sql psql "$pg_uri" -q -v ON_ERROR_STOP=1 -v schema=bench_d2d -1 \
    -f bench/derive_in_sql.sql -f bench/derive_in_sql_check.sql
  pg_sql -c "DROP SCHEMA IF EXISTS bench_d2d CASCADE" || true
  rm -rf "$scratch"
}

# The SQLite warehouse limit: the rows d2d loaded (the \copy contender's CSV), inserted into a fresh
# file that d2d's own migrations create. It prints its timed insert + commit; see sqlite_limit.cpp.
contender_sqlite_limit() {
  local scratch=$run/scratch/sqlite_limit
  rm -rf "$scratch" && mkdir -p "$scratch"
  measure "$1" "$2" sqlite_limit build/d2d_sqlite_limit "$work/inputs/$1/reference/rows.csv" "$scratch/limit.db"
  rm -rf "$scratch"
}

# The same rows into an integer-keyed table (a schema d2d does not have): how much any schema change
# could gain from the engine.
contender_sqlite_limit_int() {
  local scratch=$run/scratch/sqlite_limit_int
  rm -rf "$scratch" && mkdir -p "$scratch"
  measure "$1" "$2" sqlite_limit_int build/d2d_sqlite_limit "$work/inputs/$1/reference/rows.csv" \
    "$scratch/limit.db" --keys integer
  rm -rf "$scratch"
}

# The warehouse limit: \copy into the very table d2d loads, created by d2d's own migrations
# (primary key, one BRIN index on at and lake_date), rows in the files' arrival order.
contender_copy() {
  if ! { pg_sql -c "DROP SCHEMA IF EXISTS bench_copy CASCADE" \
    && $d2d -q migrate up --warehouse "$pg_uri" --pg-schema bench_copy >/dev/null; }; then
    setup_failed "$1" "$2" copy "could not prepare schema bench_copy"
    return 0
  fi
  measure "$1" "$2" copy psql "$pg_uri" -v ON_ERROR_STOP=1 \
    -c "\\copy bench_copy.location_update (vehicle_id, at, lat, lng, organization_id, lake_date, event_at) FROM '$work/inputs/$1/reference/rows.csv' WITH (FORMAT csv)"
  pg_sql -c "DROP SCHEMA IF EXISTS bench_copy CASCADE" || true
}

contender_row_by_row() {
  measure "$1" "$2" row_by_row $python bench/row_by_row.py "$pg_uri" bench_rbr "$(days_dir "$1")" "$rbr_lines"
  pg_sql -c "DROP SCHEMA IF EXISTS bench_rbr CASCADE" || true
}

contender_duckdb() {
  # DuckDB spills to its temp folder in the working directory when memory runs short.
  local scratch=$run/scratch/duckdb
  rm -rf "$scratch" && mkdir -p "$scratch"
  (cd "$scratch" && measure "$1" "$2" duckdb node "$repo/bench/duckdb/answer.mjs" "$(days_dir "$1")/**/*")
  rm -rf "$scratch"
}

contender_pandas() {
  local scratch=$run/scratch/pandas
  rm -rf "$scratch" && mkdir -p "$scratch"
  measure "$1" "$2" pandas $python bench/pandas_load.py "$(days_dir "$1")" "$scratch/pandas.db"
  rm -rf "$scratch"
}

# pandas holds a whole lake date in memory: a size is skipped when the peak RSS measured on the
# largest size so far, scaled by events, would pass half of the memory available now.
pandas_fits() {
  local size=$1 last rss events_last events_now available predicted
  last=$(awk -F'\t' '$3 == "pandas" && $4 != "failed" {print $1, $6}' "$results/measurements.tsv" | tail -n 1)
  [[ -z $last ]] && return 0
  read -r last rss <<<"$last"
  events_last=$(cut -d' ' -f1 "$work/inputs/$last/reference/figures")
  events_now=$(cut -d' ' -f1 "$work/inputs/$size/reference/figures")
  available=$(awk '/MemAvailable/ {print $2}' /proc/meminfo)
  predicted=$(echo "$rss * $events_now / $events_last" | bc)
  if ((predicted > available / 2)); then
    printf '%s\tpandas\tpeak RSS %d MB at %s scales to about %d MB at %s, more than half of the %d MB available\n' \
      "$size" $((rss / 1024)) "$last" $((predicted / 1024)) "$size" $((available / 1024)) >>"$results/skipped.tsv"
    return 1
  fi
}

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
} >"$results/meta.env"

for size in $sizes; do ensure_input "$size"; done

if ! skipped duckdb; then
  say "installing DuckDB (npm ci in bench/duckdb)"
  (cd bench/duckdb && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  echo "duckdb=$(node -e "console.log(require('./bench/duckdb/node_modules/@duckdb/node-api/package.json').version)")" \
    >>"$results/meta.env"
fi

if ! skipped d2d_pg || ! skipped copy || ! skipped row_by_row; then
  D2D_PG_DURABLE=1 bash scripts/pg-start.sh "$run/pg" >/dev/null
  pg_uri=$(cat "$run/pg/uri")
  echo "postgresql=$(psql "$pg_uri" -tAc 'SHOW server_version')" >>"$results/meta.env"
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

  contenders=(parse_limit parse_limit_portable decode d2d_sqlite sqlite_limit sqlite_limit_int d2d_pg copy duckdb pandas)
  [[ $size == "$smallest" ]] && contenders+=(row_by_row)
  active=()
  for name in "${contenders[@]}"; do
    if skipped "$name"; then
      printf '%s\t%s\tleft out by BENCH_SKIP\n' "$size" "$name" >>"$results/skipped.tsv"
    elif [[ $name == pandas ]] && ! pandas_fits "$size"; then
      say "$size: pandas skipped ($(tail -n 1 "$results/skipped.tsv" | cut -f3))"
    else
      active+=("$name")
    fi
  done

  for round in $(seq 1 "$rounds"); do
    # Alternate: every contender once per round, the order rotated from round to round.
    n=${#active[@]}
    for i in $(seq 0 $((n - 1))); do
      "contender_${active[$(((i + round - 1) % n))]}" "$size" "$round"
    done
  done
done

$python bench/report.py "$results" >bench/RESULTS.md
cat bench/RESULTS.md
