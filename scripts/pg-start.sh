#!/usr/bin/env bash
# Starts a throwaway PostgreSQL 15 (Debian's packages) on loopback only and writes its
# connection URI to DIR/uri. The server's files live in a fresh folder under /tmp (named in
# DIR/server_dir): as root the server runs as the unprivileged `postgres` user, which may not
# be able to enter DIR's parents. Usage: scripts/pg-start.sh DIR [PORT]; stop: scripts/pg-stop.sh DIR.
# D2D_PG_DURABLE=1 keeps PostgreSQL's durable defaults; D2D_PG_OPTIONS adds server options.
set -euo pipefail
dir=$(realpath -m "${1:?usage: pg-start.sh DIR [PORT]}")
port=${2:-}
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[[ -x $pgbin/initdb ]] || { echo "pg-start: PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }

as_server_user() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# A server left over from an interrupted run is stopped first.
[[ -f $dir/server_dir ]] && { "$(dirname "$0")/pg-stop.sh" "$dir" || true; }
rm -rf "$dir"
mkdir -p "$dir"
server=$(mktemp -d /tmp/d2d-pg-XXXXXX)
echo "$server" >"$dir/server_dir"
[[ $(id -u) -eq 0 ]] && chown postgres "$server"
port=${port:-$("$(dirname "$0")/free-port.sh")}
password="d2d-$RANDOM$RANDOM"
printf '%s\n' "$password" >"$server/pwfile"
[[ $(id -u) -eq 0 ]] && chown postgres "$server/pwfile"

as_server_user "$pgbin/initdb" -D "$server/data" -U d2d --pwfile="$server/pwfile" --auth-local=trust \
  --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$server/initdb.log" 2>&1 \
  || { cat "$server/initdb.log" >&2; exit 1; }
durability="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
[[ ${D2D_PG_DURABLE:-0} == 1 ]] && durability=""
as_server_user "$pgbin/pg_ctl" -D "$server/data" -l "$server/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $server $durability ${D2D_PG_OPTIONS:-}" \
  start >/dev/null || { cat "$server/server.log" >&2; exit 1; }
# Local socket connections are trusted (the socket lives in $server); TCP needs the password.
as_server_user "$pgbin/createdb" -h "$server" -p "$port" -U d2d d2d_test </dev/null
echo "postgresql://d2d:$password@127.0.0.1:$port/d2d_test" >"$dir/uri"
echo "pg-start: PostgreSQL listening on 127.0.0.1:$port (files in $server)"
