#!/usr/bin/env bash
# Starts a throwaway S3-compatible server (s3rver, from npm; installed into scripts/s3rver by
# scripts/install-deps.sh) on loopback only, with the buckets the tests and the benchmark use.
# Writes its endpoint to DIR/endpoint and its pid to DIR/pid. Credentials: S3RVER / S3RVER.
# Usage: scripts/s3rver-start.sh DIR [PORT]; stop: scripts/s3rver-stop.sh DIR.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=$(realpath -m "${1:?usage: s3rver-start.sh DIR [PORT]}")
port=${2:-}
buckets=(d2d-source d2d-lake d2d-bench)

if [[ ! -x $here/s3rver/node_modules/.bin/s3rver ]]; then
  (cd "$here/s3rver" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi

# A server left over from an interrupted run is stopped first.
[[ -f $dir/pid ]] && { "$here/s3rver-stop.sh" "$dir" || true; }
rm -rf "$dir"
mkdir -p "$dir"
# The data (one file per object and per metadata; the listing test writes 10,000 objects) lives
# in memory when it can: on a disk mounted with `discard`, deleting 30,000 files took ten minutes.
if data=$(mktemp -d /dev/shm/d2d-s3rver-XXXXXX 2>/dev/null); then
  ln -s "$data" "$dir/data"
  echo "$data" >"$dir/data_dir"
else
  mkdir -p "$dir/data"
fi
port=${port:-$("$(dirname "$0")/free-port.sh")}
args=(-d "$dir/data" -a 127.0.0.1 -p "$port" --silent --service-endpoint localhost)
for bucket in "${buckets[@]}"; do args+=(--configure-bucket "$bucket"); done
# Node 17+ lacks the MD5-based hashing s3rver's listings use unless the legacy provider is on.
NODE_OPTIONS=--openssl-legacy-provider setsid node "$here/s3rver/node_modules/s3rver/bin/s3rver.js" "${args[@]}" \
  >"$dir/server.log" 2>&1 </dev/null &
echo $! >"$dir/pid"
for _ in $(seq 1 100); do
  if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then
    echo "http://127.0.0.1:$port" >"$dir/endpoint"
    echo "s3rver-start: S3 listening on 127.0.0.1:$port (data in $dir/data)"
    exit 0
  fi
  kill -0 "$(cat "$dir/pid")" 2>/dev/null || break
  sleep 0.1
done
echo "s3rver-start: the server did not come up:" >&2
cat "$dir/server.log" >&2
"$here/s3rver-stop.sh" "$dir" || true
exit 1
