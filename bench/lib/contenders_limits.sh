# Sourced by bench/run.sh: the limits d2d is measured against: parsing, the SQLite engine, psql \copy.
# shellcheck shell=bash

# Each takes SIZE ROUND. Setup and clean-up around the measured command are not timed.
contender_parse_limit() { measure "$1" "$2" parse_limit build/d2d_parse_limit --benchmark_format=json "$(days_dir "$1")"; }
contender_parse_limit_portable() {
  measure "$1" "$2" parse_limit_portable build/d2d_parse_limit_portable --benchmark_format=json "$(days_dir "$1")"
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
