# Sourced by bench/run.sh: each incremental result's state checked against a one-shot load's (checks.tsv).
# shellcheck shell=bash

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
