# Sourced by bench/run.sh: timing one contender's command into measurements.tsv, or recording its failure.
# shellcheck shell=bash

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

# A contender that failed before its measured command ran, recorded as failed.
setup_failed() { # SIZE ROUND CONTENDER WHY
  say "$1 round $2: $3 FAILED in setup: $4"
  echo "setup: $4" >"$run/logs/$1-$2-$3.err"
  printf '%s\t%s\t%s\tfailed\t\t\t\t%s\n' "$1" "$2" "$3" "$run/logs/$1-$2-$3" >>"$results/measurements.tsv"
}
