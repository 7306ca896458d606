# Sourced by bench/run.sh: the generated lake dates per size and d2d's reference result on each (untimed).
# shellcheck shell=bash

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

# The folder of a size's lake date, as the contenders read it.
days_dir() { echo "$work/inputs/$1/source/$day_path"; }
