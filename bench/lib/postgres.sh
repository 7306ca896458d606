# Sourced by bench/run.sh: the run's PostgreSQL server: its start, the CPU it used, untimed SQL on it.
# shellcheck shell=bash

# Starts the run's server (durable settings, its folder in the run) and records its version.
start_postgres() {
  D2D_PG_DURABLE=1 bash scripts/pg-start.sh "$run/pg" >/dev/null
  pg_uri=$(cat "$run/pg/uri")
  echo "postgresql=$(psql "$pg_uri" -tAc 'SHOW server_version')" >>"$results/meta.env"
}

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

# Untimed SQL around the PostgreSQL contenders; a failure (say, the server went away) fails only
# the contender, which is then recorded as failed.
pg_sql() { psql "$pg_uri" -q -v ON_ERROR_STOP=1 "$@" >"$run/logs/psql.out" 2>&1 || { cat "$run/logs/psql.out" >&2; return 1; }; }
