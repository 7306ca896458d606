# Sourced by bench/run.sh: d2d's own contenders (decode, d2d_sqlite, d2d_pg with derive_sql beside it).
# shellcheck shell=bash

# Each takes SIZE ROUND. Setup and clean-up around the measured command are not timed.
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
