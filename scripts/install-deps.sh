#!/usr/bin/env bash
# The one place that names the project's system dependencies (Debian 12 packages).
# Idempotent: does nothing when everything is already installed.
# `install-deps.sh image` installs only what `make test-image` adds: podman to build and run
# deploy/Dockerfile without a Docker engine, runc as its runtime (crun refuses the mixed cgroup
# hierarchy of some kernels), debootstrap to make the base images from Debian's packages.
set -euo pipefail
set_name=${1:-main}

image_packages=(podman runc debootstrap)
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

[[ $set_name == image ]] && packages=("${image_packages[@]}")

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

# Node.js and npm run the S3 test server; a machine that has them from elsewhere keeps those.
if [[ $set_name != image ]] && ! command -v node >/dev/null || ! command -v npm >/dev/null; then missing+=(nodejs npm); fi

if ((${#missing[@]} > 0)); then
  echo "install-deps: installing ${missing[*]}" >&2
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[[ $set_name == image ]] && exit 0

# npm packages, each folder pinned by its package-lock.json and installed into its own
# node_modules; reinstalled only when the lock file changes.
npm_ci() {
  local dir what=$2
  dir=$(cd "$(dirname "$0")/.." && pwd)/$1
  if ! cmp -s "$dir/package-lock.json" "$dir/node_modules/.package-lock.json.installed" 2>/dev/null; then
    echo "install-deps: installing $what (npm ci in $1)" >&2
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    cp "$dir/package-lock.json" "$dir/node_modules/.package-lock.json.installed"
  fi
}
# The S3-compatible test server (s3rver).
npm_ci scripts/s3rver "the S3 test server"
# The browser test's driver (playwright-core); it drives Debian's chromium, so no browser is downloaded.
npm_ci tests/browser "the browser test driver"
# HashiCorp's HCL parser (Go compiled to WebAssembly) for the Terraform checks: Debian has no Terraform.
npm_ci tests/deploy/hcl "the HCL parser"
