#!/usr/bin/env bash
# Stops a server started by scripts/pg-start.sh DIR and removes its folder.
set -euo pipefail
dir=$(realpath -m "${1:?usage: pg-stop.sh DIR}")
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [[ -f $dir/data/postmaster.pid ]]; then
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$pgbin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null
  else
    "$pgbin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null
  fi
fi
rm -rf "$dir"
