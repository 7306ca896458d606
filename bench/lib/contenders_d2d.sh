# Sourced by bench/run.sh: d2d's own contenders (decode, d2d_sqlite, d2d_pg with derive_sql beside it)
# and the same loads by d2d as it was at the baseline commit (d2d_sqlite_base, d2d_pg_base).
# shellcheck shell=bash

# Each takes SIZE ROUND. Setup and clean-up around the measured command are not timed.
contender_decode() { measure "$1" "$2" decode build/d2d_decode_bench --benchmark_format=json "$(days_dir "$1")"; }

# What analysts get from the warehouse just loaded (untimed): its stored bytes per fix and the time
# of two queries through the SPEC §5 relations (bench/analyst_queries.py), into analyst.tsv.
analyst_figures() { # SIZE ROUND CONTENDER ENGINE-ARGS...
  local size=$1 round=$2 name=$3
  shift 3
  if [[ $(tail -n 1 "$results/measurements.tsv" | cut -f4) == failed ]]; then return 0; fi
  $python bench/analyst_queries.py "$@" "$name" 2>"$run/logs/$size-$round-$name.analyst.err" \
    | sed "s/^/$size\t$round\t/" >>"$results/analyst.tsv" \
    || say "$size round $round: $name: analyst queries failed: $(tail -n 1 "$run/logs/$size-$round-$name.analyst.err")"
}

# A fresh lake and warehouse each time, so no run finds the date already loaded.
load_sqlite() { # SIZE ROUND CONTENDER BINARY
  local size=$1 round=$2 name=$3 binary=$4 scratch=$run/scratch/$3
  rm -rf "$scratch" && mkdir -p "$scratch"
  measure "$size" "$round" "$name" "$binary" run --source "$work/inputs/$size/source" --lake "$scratch/lake" \
    --warehouse "$scratch/d2d.db" --date $date --max-reject-ratio 1
  if [[ -f $scratch/d2d.db ]]; then
    sqlite3 -json "$scratch/d2d.db" "SELECT * FROM etl_run WHERE status = 'succeeded'" \
      >"$run/logs/$size-$round-$name.phases" || true
    # What the incremental contenders of this size are checked against (untimed).
    if [[ $name == d2d_sqlite && $compare_states == 1 && $(tail -n 1 "$results/measurements.tsv" | cut -f4) != failed ]]; then
      state_sqlite "$scratch/d2d.db" "$run/logs/$size-$round-d2d_sqlite.state" || rm -rf "$run/logs/$size-$round-d2d_sqlite.state"
    fi
    "$binary" report --format json --warehouse "$scratch/d2d.db" >"$run/logs/$size-$round-$name.report.json" 2>/dev/null || true
    analyst_figures "$size" "$round" "$name" sqlite "$scratch/d2d.db"
  fi
  rm -rf "$scratch"
}
contender_d2d_sqlite() { load_sqlite "$1" "$2" d2d_sqlite "$d2d"; }
contender_d2d_sqlite_base() { load_sqlite "$1" "$2" d2d_sqlite_base "$base_d2d"; }

load_pg() { # SIZE ROUND CONTENDER BINARY SCHEMA
  local size=$1 round=$2 name=$3 binary=$4 schema=$5 scratch=$run/scratch/$3
  rm -rf "$scratch" && mkdir -p "$scratch"
  if ! { pg_sql -c "DROP SCHEMA IF EXISTS $schema CASCADE" \
    && $binary -q migrate up --warehouse "$pg_uri" --pg-schema "$schema" >/dev/null; }; then
    setup_failed "$size" "$round" "$name" "could not prepare schema $schema"
    return 0
  fi
  measure "$size" "$round" "$name" "$binary" run --source "$work/inputs/$size/source" --lake "$scratch/lake" \
    --warehouse "$pg_uri" --pg-schema "$schema" --date $date --max-reject-ratio 1
  psql "$pg_uri" -qAt -c "SELECT json_agg(r) FROM $schema.etl_run r WHERE status = 'succeeded'" \
    >"$run/logs/$size-$round-$name.phases" 2>/dev/null || true
  psql "$pg_uri" -qAt -c "SELECT COUNT(*) FROM $schema.location_update" >"$run/logs/$size-$round-$name.rows" || true
  if [[ $name == d2d_pg && $compare_states == 1 && $(tail -n 1 "$results/measurements.tsv" | cut -f4) != failed ]]; then
    state_pg "$schema" "$run/logs/$size-$round-d2d_pg.state" || rm -rf "$run/logs/$size-$round-d2d_pg.state"
  fi
  "$binary" report --format json --warehouse "$pg_uri" --pg-schema "$schema" >"$run/logs/$size-$round-$name.report.json" \
    2>/dev/null || true
  analyst_figures "$size" "$round" "$name" postgresql "$pg_uri" "$schema"
  # The derivation as set-based SQL on what d2d just loaded, timed on its own; a result that differs
  # from d2d's vehicle_operating_period_distance fails it (docs/decisions.md, "Derivation: C++ or SQL").
  if [[ $name == d2d_pg ]] && ! skipped derive_sql; then
    measure "$size" "$round" derive_sql psql "$pg_uri" -q -v ON_ERROR_STOP=1 -v schema="$schema" -1 \
      -f bench/derive_in_sql.sql -f bench/derive_in_sql_check.sql
  fi
  pg_sql -c "DROP SCHEMA IF EXISTS $schema CASCADE" || true
  rm -rf "$scratch"
}
contender_d2d_pg() { load_pg "$1" "$2" d2d_pg "$d2d" bench_d2d; }
contender_d2d_pg_base() { load_pg "$1" "$2" d2d_pg_base "$base_d2d" bench_base; }
