# Sourced by bench/run.sh: the other ways to do d2d's work (the original design, DuckDB, pandas).
# shellcheck shell=bash

# Each takes SIZE ROUND. Setup and clean-up around the measured command are not timed.
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
