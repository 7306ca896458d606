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

say() { echo "bench: $*" >&2; }
trap 'say "stopped: line $LINENO: $BASH_COMMAND exited $?"' ERR
skipped() { [[ $skip == *" $1 "* || ($1 == incr_* && $skip == *" incremental "*) ]]; }
# The incremental contenders (issue 19): each names its plan in $run/plan/SIZE (NAME.base, NAME.new).
incr_contenders=()
for increment in 1min last1 last5 last10 last25; do incr_contenders+=("incr_${increment}_sqlite" "incr_${increment}_pg"); done
incr_at() { [[ " $incr_sizes " == *" $1 "* ]]; }
uses_pg() { [[ $1 == d2d_pg || $1 == copy || $1 == row_by_row || $1 == derive_sql || $1 == incr_*_pg ]]; }

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
  uses_pg "$name" && server_before=$(pg_cpu)
  /usr/bin/time -f '%e %U %S %M' -o "$log.time" "$@" >"$log.out" 2>"$log.err" || status=$?
  uses_pg "$name" && server_after=$(pg_cpu)
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
    # What the incremental contenders of this size are checked against (untimed).
    if [[ $compare_states == 1 && $(tail -n 1 "$results/measurements.tsv" | cut -f4) != failed ]]; then
      state_sqlite "$scratch/d2d.db" "$run/logs/$1-$2-d2d_sqlite.state" || rm -rf "$run/logs/$1-$2-d2d_sqlite.state"
    fi
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
  if [[ $compare_states == 1 && $(tail -n 1 "$results/measurements.tsv" | cut -f4) != failed ]]; then
    state_pg bench_d2d "$run/logs/$1-$2-d2d_pg.state" || rm -rf "$run/logs/$1-$2-d2d_pg.state"
  fi
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

# --- incremental loads (issue 19) ------------------------------------------------------------------
# What the incremental contenders compare: the analyst relations (SPEC §5) by their contract's
# columns, in key order. location_update and rejected_event are kept as count + SHA-256 (millions
# of rows); rejected_event leaves out the object and line (the 1-minute contender moves lines to a
# new object); etl_run and the storage behind the relations are not compared. Distances and the
# report are compared with a relative tolerance of 1e-9 (bench/incremental.py compare).
state_queries() { # SCHEMA_PREFIX: "name<TAB>query" lines
  local s=$1
  printf '%s\t%s\n' \
    location_update "SELECT vehicle_id, at, lat, lng, organization_id, lake_date FROM ${s}location_update ORDER BY vehicle_id, at" \
    rejected_event "SELECT lake_date, reason_code, raw_length, raw FROM ${s}rejected_event ORDER BY lake_date, reason_code, raw_length, raw" \
    vehicle "SELECT vehicle_id, organization_id, first_registered_at, last_deregistered_at FROM ${s}vehicle ORDER BY vehicle_id" \
    operating_period "SELECT operating_period_id, start_at, finish_at, deleted, organization_id FROM ${s}operating_period ORDER BY operating_period_id" \
    vehicle_break "SELECT vehicle_id, start_at, end_at FROM ${s}vehicle_break ORDER BY vehicle_id, start_at" \
    distance "SELECT operating_period_id, vehicle_id, updates, distance_m FROM ${s}vehicle_operating_period_distance ORDER BY operating_period_id, vehicle_id"
}
# write_state OUT SCHEMA_PREFIX QUERY-RUNNER...: runs each query through the runner (the query as its
# last argument).
write_state() {
  local out=$1 prefix=$2 name query
  shift 2
  rm -rf "$out" && mkdir -p "$out"
  while IFS=$'\t' read -r name query; do
    case $name in
      location_update | rejected_event)
        "$@" "$query" | awk -v rows="$out/$name.rows" '{ print } END { print NR >rows }' | sha256sum >"$out/$name.sha256" \
          || return 1 ;;
      *) "$@" "$query" >"$out/$name.tsv" || return 1 ;;
    esac
  done < <(state_queries "$prefix")
}
sqlite_rows() { sqlite3 -batch -bail -noheader -separator $'\t' -nullvalue '\N' "$1" "$2"; }
pg_rows() { psql "$pg_uri" -qAt -v ON_ERROR_STOP=1 -c "SET TimeZone = 'UTC'" -c "COPY ($1) TO STDOUT"; }
state_sqlite() { # DB OUT
  write_state "$2" "" sqlite_rows "$1" \
    && $d2d report --format json --warehouse "$1" >"$2/report.json"
}
state_pg() { # SCHEMA OUT
  write_state "$2" "$1." pg_rows \
    && $d2d report --format json --warehouse "$pg_uri" --pg-schema "$1" >"$2/report.json"
}

# The plan of each incremental contender on a size: NAME.base, the objects loaded (untimed) first,
# and NAME.new, those added before the timed run; lines "ROOT<TAB>KEY". Keys sort as the writer
# wrote them (nested folders HH/MM), so the last keys are the newest objects.
make_plan() {
  local size=$1 plan=$run/plan/$1 src=$work/inputs/$1/source n base p engine last split
  rm -rf "$plan" && mkdir -p "$plan"
  (cd "$src" && find "$day_path" -type f | LC_ALL=C sort) >"$plan/all.keys"
  n=$(wc -l <"$plan/all.keys")
  for p in 1 5 10 25; do
    base=$((n * (100 - p) / 100))
    ((base > n - 1)) && base=$((n - 1))
    for engine in sqlite pg; do
      head -n "$base" "$plan/all.keys" | sed "s|^|$src\t|" >"$plan/incr_last${p}_$engine.base"
      tail -n +"$((base + 1))" "$plan/all.keys" | sed "s|^|$src\t|" >"$plan/incr_last${p}_$engine.new"
    done
  done
  # One minute of events as one new object: a busy minute, the last of the date's middle object
  # (midday), split from it by event time; the rest of the day, that object's other minutes
  # included, is loaded first (the minute arrives late, after later objects).
  local middle=$((n / 2 + 1))
  last=$(sed -n "${middle}p" "$plan/all.keys")
  if ! split=$($python bench/incremental.py split-last-minute "$src" "$last" "$plan/split" 2>"$run/logs/$size-split.err"); then
    say "$size: no 1-minute object: $(cat "$run/logs/$size-split.err")"
    split=""
  fi
  for engine in sqlite pg; do
    [[ -n $split ]] || continue
    { sed "${middle}d" "$plan/all.keys" | sed "s|^|$src\t|"; printf '%s\t%s\n' "$plan/split" "$last"; } \
      >"$plan/incr_1min_$engine.base"
    printf '%s\t%s\n' "$plan/split" "${split%% *}" >"$plan/incr_1min_$engine.new"
  done
  # What each increment holds: objects before and added, its lines (events) and bytes.
  local name
  for name in "${incr_contenders[@]}"; do
    [[ -s $plan/$name.new ]] || continue
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$size" "$name" "$(wc -l <"$plan/$name.base")" "$(wc -l <"$plan/$name.new")" \
      "$(awk -F'\t' '{ print $1 "/" $2 }' "$plan/$name.new" | xargs -d '\n' cat | grep -c '[^[:space:]]')" \
      "$(awk -F'\t' '{ print $1 "/" $2 }' "$plan/$name.new" | xargs -d '\n' stat -c %s | paste -sd+ | bc)"
  done >>"$results/increments.tsv"
}

# Hard links, so a source costs no copy; a link never changes the file it points to.
link_objects() { # LIST DEST
  local list=$1 dest=$2 root
  mkdir -p "$dest"
  while read -r root; do
    (cd "$root" && awk -F'\t' -v root="$root" '$1 == root { print $2 }' "$list" | xargs -r -d '\n' cp -l --parents -t "$dest" --) \
      || return 1
  done < <(cut -f1 "$list" | sort -u)
}

# incremental SIZE ROUND NAME: a fresh lake and warehouse; the plan's base objects loaded by a first
# `d2d run` (untimed), its new objects added to the source, and the second `d2d run` timed.
incremental() {
  local size=$1 round=$2 name=$3 engine=${3##*_}
  local scratch=$run/scratch/$name plan=$run/plan/$1 log=$run/logs/$1-$2-$3
  local -a warehouse
  rm -rf "$scratch" && mkdir -p "$scratch"
  if [[ $engine == pg ]]; then
    warehouse=(--warehouse "$pg_uri" --pg-schema bench_incr)
    if ! { pg_sql -c "DROP SCHEMA IF EXISTS bench_incr CASCADE" \
      && $d2d -q migrate up --warehouse "$pg_uri" --pg-schema bench_incr >/dev/null; }; then
      setup_failed "$size" "$round" "$name" "could not prepare schema bench_incr"
      return 0
    fi
  else
    warehouse=(--warehouse "$scratch/d2d.db")
  fi
  if [[ ! -s $plan/$name.new ]]; then
    setup_failed "$size" "$round" "$name" "no increment planned (see the log of make_plan)"
  elif ! link_objects "$plan/$name.base" "$scratch/source"; then
    setup_failed "$size" "$round" "$name" "could not link the objects of its first run"
  elif ! $d2d -q run --source "$scratch/source" --lake "$scratch/lake" "${warehouse[@]}" --date $date \
    --max-reject-ratio 1 >"$log.first" 2>&1; then
    setup_failed "$size" "$round" "$name" "the first run (untimed) failed: $(tail -n 1 "$log.first")"
  else
    link_objects "$plan/$name.new" "$scratch/source" || say "$size round $round: $name: could not link its new objects"
    measure "$size" "$round" "$name" "$d2d" run --source "$scratch/source" --lake "$scratch/lake" "${warehouse[@]}" \
      --date $date --max-reject-ratio 1
    if [[ $(tail -n 1 "$results/measurements.tsv" | cut -f4) != failed ]]; then
      if [[ $engine == pg ]]; then
        psql "$pg_uri" -qAt -c "SELECT json_agg(r ORDER BY run_id) FROM bench_incr.etl_run r WHERE status = 'succeeded'" \
          >"$log.phases" 2>/dev/null || true
        state_pg bench_incr "$log.state" || say "$size round $round: $name: could not read its state"
      else
        sqlite3 -json "$scratch/d2d.db" "SELECT * FROM etl_run WHERE status = 'succeeded' ORDER BY run_id" \
          >"$log.phases" || true
        state_sqlite "$scratch/d2d.db" "$log.state" || say "$size round $round: $name: could not read its state"
      fi
    fi
  fi
  if [[ $engine == pg ]]; then pg_sql -c "DROP SCHEMA IF EXISTS bench_incr CASCADE" || true; fi
  rm -rf "$scratch"
}
for name in "${incr_contenders[@]}"; do eval "contender_$name() { incremental \"\$1\" \"\$2\" $name; }"; done

# A one-shot load's state for ENGINE on SIZE, untimed, when no d2d_ENGINE contender left one.
reference_state() { # ENGINE SIZE OUT
  local scratch=$run/scratch/reference
  rm -rf "$scratch" && mkdir -p "$scratch"
  if [[ $1 == pg ]]; then
    pg_sql -c "DROP SCHEMA IF EXISTS bench_ref CASCADE" \
      && $d2d -q migrate up --warehouse "$pg_uri" --pg-schema bench_ref >/dev/null \
      && $d2d -q run --source "$work/inputs/$2/source" --lake "$scratch/lake" --warehouse "$pg_uri" --pg-schema bench_ref \
        --date $date --max-reject-ratio 1 >/dev/null \
      && state_pg bench_ref "$3"
    local status=$?
    pg_sql -c "DROP SCHEMA IF EXISTS bench_ref CASCADE" || true
  else
    $d2d -q run --source "$work/inputs/$2/source" --lake "$scratch/lake" --warehouse "$scratch/d2d.db" --date $date \
      --max-reject-ratio 1 >/dev/null && state_sqlite "$scratch/d2d.db" "$3"
    local status=$?
  fi
  rm -rf "$scratch"
  return $status
}

# Each incremental result against the one-shot load of its engine: the same round's d2d_ENGINE,
# else another round's, else an untimed one. A difference turns the measurement into a failure
# (report.py reads checks.tsv).
check_incremental() { # SIZE
  local size=$1 name round engine state reference verdict detail
  for name in "${incr_contenders[@]}"; do
    engine=${name##*_}
    for round in $(seq 1 "$rounds"); do
      state=$run/logs/$size-$round-$name.state
      [[ -d $state ]] || continue
      reference=$run/logs/$size-$round-d2d_$engine.state
      [[ -d $reference ]] || reference=$(compgen -G "$run/logs/$size-*-d2d_$engine.state" | head -n 1 || true)
      if [[ -z $reference ]]; then
        reference=$run/logs/$size-reference-d2d_$engine.state
        if [[ ! -d $reference ]]; then
          say "$size: one-shot load into $engine for the incremental checks (untimed)"
          reference_state "$engine" "$size" "$reference" || rm -rf "$reference"
        fi
      fi
      if [[ ! -d $reference ]]; then
        verdict=unchecked detail="no one-shot load into $engine to compare with"
      elif detail=$($python bench/incremental.py compare "$reference" "$state"); then
        verdict=equal
      else
        verdict=differs
        say "$size round $round: $name FAILED: differs from the one-shot load: $detail"
      fi
      printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$size" "$round" "$name" "$verdict" "$(basename "$reference" .state)" "$detail" \
        >>"$results/checks.tsv"
    done
  done
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
  echo "incr_sizes=$incr_sizes"
} >"$results/meta.env"
for size in $incr_sizes; do
  [[ " $sizes " == *" $size "* ]] || { echo "bench: BENCH_INCR_SIZES names $size, which is not in BENCH_SIZES ($sizes)" >&2; exit 1; }
done
any_incr_pg=0
for name in "${incr_contenders[@]}"; do
  if [[ -n $incr_sizes && $name == *_pg ]] && ! skipped "$name"; then any_incr_pg=1; fi
done

for size in $sizes; do ensure_input "$size"; done

if ! skipped duckdb; then
  say "installing DuckDB (npm ci in bench/duckdb)"
  (cd bench/duckdb && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  echo "duckdb=$(node -e "console.log(require('./bench/duckdb/node_modules/@duckdb/node-api/package.json').version)")" \
    >>"$results/meta.env"
fi

if ! skipped d2d_pg || ! skipped copy || ! skipped row_by_row || ((any_incr_pg)); then
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
      if [[ $name == incr_* ]]; then compare_states=1; fi
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
