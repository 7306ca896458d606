#!/usr/bin/env bash
# Stops a server started by scripts/s3rver-start.sh DIR and removes its files.
set -euo pipefail
dir=$(realpath -m "${1:?usage: s3rver-stop.sh DIR}")
if [[ -f $dir/pid ]]; then
  pid=$(cat "$dir/pid")
  # The pid is our own server's (started with setsid): stop it and wait until it is gone.
  if kill "$pid" 2>/dev/null; then
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
fi
[[ -f $dir/data_dir ]] && rm -rf "$(cat "$dir/data_dir")"
rm -rf "$dir"
