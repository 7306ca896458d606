#!/usr/bin/env bash
# Restarts a server started by scripts/pg-start.sh DIR (same port and options), the way an
# operator's restart or a failover looks to clients: every connection is cut, and for a moment
# the server refuses new ones. Usage: scripts/pg-restart.sh DIR [fast|immediate].
set -euo pipefail
dir=$(realpath -m "${1:?usage: pg-restart.sh DIR [fast|immediate]}")
mode=${2:-fast}
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
server=$(cat "$dir/server_dir")
# pg_ctl restart reuses the options of the last start (kept in postmaster.opts).
if [[ $(id -u) -eq 0 ]]; then
  runuser -u postgres -- "$pgbin/pg_ctl" -D "$server/data" -l "$server/server.log" -m "$mode" -w -t 60 restart >/dev/null
else
  "$pgbin/pg_ctl" -D "$server/data" -l "$server/server.log" -m "$mode" -w -t 60 restart >/dev/null
fi
