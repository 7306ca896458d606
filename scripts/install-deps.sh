#!/usr/bin/env bash
# The one place that names the project's system dependencies (Debian 12 packages).
# Idempotent: does nothing when everything is already installed.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config git
  clang clang-format clang-tidy libclang-rt-14-dev
  # libraries
  libsimdjson-dev libsqlite3-dev libpq-dev libcurl4-openssl-dev libpugixml-dev
  libcli11-dev libtomlplusplus-dev libspdlog-dev libfmt-dev libcpp-httplib-dev
  zlib1g-dev libssl-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev sqlite3
  postgresql postgresql-client
  # benchmarks (bench/run.sh): GNU time for wall, CPU and peak RSS; the original design
  # (psycopg2 row by row) and pandas as baselines. DuckDB comes from npm (bench/duckdb).
  time bc python3-psycopg2 python3-pandas
  # `d2d completion zsh` is checked by zsh itself (zsh -n)
  zsh
  # S3 tests and benchmark: independent clients and signer (Debian's python3, /usr/bin/python3)
  python3-botocore python3-boto3 awscli
  # deploy/ checks: Compose v1 validates docker-compose.yml without a Docker engine
  docker-compose
  # d2d serve: IANA time zones; its tests move the process clock (libfaketime) and drive a browser
  libhowardhinnant-date-dev tzdata faketime chromium
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

# Node.js and npm run the S3 test server; a machine that has them from elsewhere keeps those.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then missing+=(nodejs npm); fi

if ((${#missing[@]} > 0)); then
  echo "install-deps: installing ${missing[*]}" >&2
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The S3-compatible test server (s3rver), pinned by scripts/s3rver/package-lock.json, into
# scripts/s3rver/node_modules; reinstalled only when the lock file changes.
s3rver_dir=$(cd "$(dirname "$0")" && pwd)/s3rver
if ! cmp -s "$s3rver_dir/package-lock.json" "$s3rver_dir/node_modules/.package-lock.json.installed" 2>/dev/null; then
  echo "install-deps: installing the S3 test server (npm ci in scripts/s3rver)" >&2
  (cd "$s3rver_dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  cp "$s3rver_dir/package-lock.json" "$s3rver_dir/node_modules/.package-lock.json.installed"
fi

# The browser test's driver (playwright-core, pinned by tests/browser/package-lock.json); it
# drives Debian's chromium, so no browser is downloaded. Reinstalled only when the lock changes.
browser_dir=$(cd "$(dirname "$0")/.." && pwd)/tests/browser
if ! cmp -s "$browser_dir/package-lock.json" "$browser_dir/node_modules/.package-lock.json.installed" 2>/dev/null; then
  echo "install-deps: installing the browser test driver (npm ci in tests/browser)" >&2
  (cd "$browser_dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  cp "$browser_dir/package-lock.json" "$browser_dir/node_modules/.package-lock.json.installed"
fi
