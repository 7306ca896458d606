# Sourced by bench/run.sh: the incremental contenders (issue 19): their plans, and a timed second run.
# shellcheck shell=bash

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
  for engine in sqlite pg; do # a reload: every object first, none added
    sed "s|^|$src\t|" "$plan/all.keys" >"$plan/reload_$engine.base"
    : >"$plan/reload_$engine.new"
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
  local -a again=()
  [[ $name == reload_* ]] && again=(--force) # a reload adds nothing: the same objects, read again
  if [[ $name != reload_* && ! -s $plan/$name.new ]]; then
    setup_failed "$size" "$round" "$name" "no increment planned (see the log of make_plan)"
  elif ! link_objects "$plan/$name.base" "$scratch/source"; then
    setup_failed "$size" "$round" "$name" "could not link the objects of its first run"
  elif ! $d2d -q run --source "$scratch/source" --lake "$scratch/lake" "${warehouse[@]}" --date $date \
    --max-reject-ratio 1 >"$log.first" 2>&1; then
    setup_failed "$size" "$round" "$name" "the first run (untimed) failed: $(tail -n 1 "$log.first")"
  else
    if [[ -s $plan/$name.new ]]; then
      link_objects "$plan/$name.new" "$scratch/source" || say "$size round $round: $name: could not link its new objects"
    fi
    measure "$size" "$round" "$name" "$d2d" run --source "$scratch/source" --lake "$scratch/lake" "${warehouse[@]}" \
      --date $date --max-reject-ratio 1 "${again[@]}"
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
