#!/usr/bin/env bash
# Starts a throwaway PostgreSQL 15 (Debian's packages) in DIR, on loopback only, and writes
# the connection URI to DIR/uri. As root, the server runs as the unprivileged `postgres` user.
# Usage: scripts/pg-start.sh DIR [PORT]      Stop it with scripts/pg-stop.sh DIR.
set -euo pipefail
dir=$(realpath -m "${1:?usage: pg-start.sh DIR [PORT]}")
port=${2:-}
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[[ -x $pgbin/initdb ]] || { echo "pg-start: PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }

as_server_user() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  local candidate
  for _ in $(seq 1 50); do
    candidate=$((20000 + RANDOM % 20000))
    if ! (exec 3<>/dev/tcp/127.0.0.1/$candidate) 2>/dev/null; then echo "$candidate"; return; fi
  done
  echo "pg-start: no free port found" >&2; exit 1
}

# A server left over from an interrupted run is stopped first.
if [[ -f $dir/data/postmaster.pid ]]; then "$(dirname "$0")/pg-stop.sh" "$dir" || true; fi
rm -rf "$dir"
mkdir -p "$dir"
if [[ $(id -u) -eq 0 ]]; then
  chown postgres "$dir"
  runuser -u postgres -- test -w "$dir" \
    || { echo "pg-start: user postgres cannot reach $dir (a parent folder is not searchable)" >&2; exit 1; }
fi
port=${port:-$(free_port)}
password="d2d-$RANDOM$RANDOM"
printf '%s\n' "$password" > "$dir/pwfile"
[[ $(id -u) -eq 0 ]] && chown postgres "$dir/pwfile"

as_server_user "$pgbin/initdb" -D "$dir/data" -U d2d --pwfile="$dir/pwfile" --auth-local=trust \
  --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; exit 1; }
# Durability off: test servers hold throwaway data. D2D_PG_DURABLE=1 keeps PostgreSQL's defaults
# (benchmarks use it, so that the figures mean what they would in production).
durability="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
[[ ${D2D_PG_DURABLE:-0} == 1 ]] && durability=""
as_server_user "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $dir $durability ${D2D_PG_OPTIONS:-}" \
  start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
# Local socket connections are trusted (the socket lives in $dir); TCP needs the password.
as_server_user "$pgbin/createdb" -h "$dir" -p "$port" -U d2d d2d_test </dev/null
echo "postgresql://d2d:$password@127.0.0.1:$port/d2d_test" > "$dir/uri"
echo "pg-start: PostgreSQL listening on 127.0.0.1:$port (data in $dir)"
