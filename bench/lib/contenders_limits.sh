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
# (location_fix: primary key (vehicle_key, at), one BRIN index on at and lake_date), rows in the
# files' arrival order. The rows come with their integer keys and event_at offsets, made untimed
# from the reference rows, and the month partitions they need exist: keys and partitions are the
# loader's work, not COPY's.
contender_copy() {
  local keyed=$run/scratch/copy-rows.csv
  mkdir -p "$run/scratch"
  if ! { pg_sql -c "DROP SCHEMA IF EXISTS bench_copy CASCADE" \
    && $d2d -q migrate up --warehouse "$pg_uri" --pg-schema bench_copy >/dev/null \
    && pg_sql -c "CREATE TABLE bench_copy.fix_row (vehicle_id text COLLATE \"C\", at timestamptz, lat float8, lng float8, organization_id text COLLATE \"C\", lake_date date, event_at timestamptz)" \
      -c "\\copy bench_copy.fix_row FROM '$work/inputs/$1/reference/rows.csv' WITH (FORMAT csv)" \
      -c "INSERT INTO bench_copy.vehicle_key (vehicle_id) SELECT DISTINCT vehicle_id FROM bench_copy.fix_row ORDER BY 1" \
      -c "INSERT INTO bench_copy.organization_key (organization_id) SELECT DISTINCT organization_id FROM bench_copy.fix_row WHERE organization_id IS NOT NULL ORDER BY 1" \
      -c "\\copy (SELECT r.at, r.lat, r.lng, NULL, k.vehicle_key, r.lake_date, ((extract(epoch FROM r.event_at) - extract(epoch FROM r.at)) * 1000000)::integer, o.organization_key FROM bench_copy.fix_row r JOIN bench_copy.vehicle_key k ON k.vehicle_id = r.vehicle_id LEFT JOIN bench_copy.organization_key o ON o.organization_id = r.organization_id ORDER BY r.event_at, r.vehicle_id) TO '$keyed' WITH (FORMAT csv)" \
      -c "DO \$\$ DECLARE m timestamp; BEGIN FOR m IN SELECT DISTINCT date_trunc('month', at AT TIME ZONE 'UTC') FROM bench_copy.fix_row LOOP EXECUTE format('CREATE TABLE bench_copy.%I (LIKE bench_copy.location_fix)', 'location_fix_p' || to_char(m, 'YYYYMM')); EXECUTE format('ALTER TABLE bench_copy.location_fix ATTACH PARTITION bench_copy.%I FOR VALUES FROM (%L) TO (%L)', 'location_fix_p' || to_char(m, 'YYYYMM'), to_char(m, 'YYYY-MM-DD') || ' 00:00:00+00', to_char(m + interval '1 month', 'YYYY-MM-DD') || ' 00:00:00+00'); END LOOP; END \$\$" \
      -c "DROP TABLE bench_copy.fix_row"; }; then
    setup_failed "$1" "$2" copy "could not prepare schema bench_copy"
    return 0
  fi
  measure "$1" "$2" copy psql "$pg_uri" -v ON_ERROR_STOP=1 \
    -c "\\copy bench_copy.location_fix (at, lat, lng, lake_object_id, vehicle_key, lake_date, event_at_delta_us, organization_key) FROM '$keyed' WITH (FORMAT csv)"
  rm -f "$keyed"
  pg_sql -c "DROP SCHEMA IF EXISTS bench_copy CASCADE" || true
}
