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
  # benchmark baselines (the original design: psycopg2 row by row)
  python3-psycopg2 bc
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
