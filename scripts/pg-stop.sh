#!/usr/bin/env bash
# Stops a server started by scripts/pg-start.sh DIR and removes its files.
set -euo pipefail
dir=$(realpath -m "${1:?usage: pg-stop.sh DIR}")
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
server=$(cat "$dir/server_dir" 2>/dev/null || true)
if [[ -n $server && -f $server/data/postmaster.pid ]]; then
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$pgbin/pg_ctl" -D "$server/data" -m immediate -w stop >/dev/null
  else
    "$pgbin/pg_ctl" -D "$server/data" -m immediate -w stop >/dev/null
  fi
fi
[[ -n $server && $server == /tmp/d2d-pg-* ]] && rm -rf "$server"
rm -rf "$dir"
