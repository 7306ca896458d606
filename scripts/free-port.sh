#!/usr/bin/env bash
# Prints a TCP port on 127.0.0.1 that nothing listens on (for the throwaway test servers).
set -euo pipefail
for _ in $(seq 1 50); do
  candidate=$((20000 + RANDOM % 20000))
  if ! (exec 3<>/dev/tcp/127.0.0.1/$candidate) 2>/dev/null; then echo "$candidate"; exit 0; fi
done
echo "free-port: no free port found" >&2
exit 1
