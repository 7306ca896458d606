#!/usr/bin/env bash
# `make test-image`: builds deploy/Dockerfile with podman (no Docker engine, no image registry) and
# smoke-tests the image the way a deployment uses it:
#   1. `d2d --version` names the commit the image was built from;
#   2. the image runs as the non-root user d2d (uid 10001), in `podman run` and in the running serve;
#   3. `d2d generate` + `d2d run` load a generated lake date into a throwaway PostgreSQL on the
#      host's loopback (scripts/pg-start.sh), `d2d report` answers, and etl_run records the version;
#   4. the image's own CMD (`serve` with the token from /run/secrets) passes its HEALTHCHECK, the
#      pages need the token, and the health check fails once the warehouse is gone.
# The base images come from Debian's packages (tests/image/base_image.sh, cached in BUILD/image).
# Podman reads tests/image/containers.conf (runc, no default ulimits); builds and containers use the
# host's network, which is how the build's apt-get reaches Debian's packages and how the containers
# reach PostgreSQL on 127.0.0.1. Usage: tests/image/test_image.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
build_dir=$(realpath -m "${1:-build}")
export CONTAINERS_CONF=$PWD/tests/image/containers.conf

# Each passed check is a step; the closing line counts them ("N passed, N failed", as CI reads it).
passed=0
step() { printf 'test-image: %s\n' "$*" >&2; passed=$((passed + 1)); }
fail() {
  printf 'test-image: FAILED: %s\n' "$*" >&2
  echo "test-image: $passed passed, 1 failed"
  exit 1
}
seconds_since() { echo $(($(date +%s) - $1)); }

version=$(git describe --always --tags --dirty)
commit=$(git rev-parse --short HEAD)
image=door2door-etl:test-$version

start=$(date +%s)
bash tests/image/base_image.sh "$build_dir/image"
step "base images ready in $(seconds_since "$start") s"

# Images this test built from other commits: only the newest is kept (the build cache stays).
podman images --format '{{.Repository}}:{{.Tag}}' | grep -E '^(localhost/)?door2door-etl:test-' \
  | grep -vxF -e "$image" -e "localhost/$image" | xargs -r podman rmi >/dev/null || true

# --format docker keeps HEALTHCHECK (the OCI format has no field for it).
start=$(date +%s)
podman build --format docker --network host --ignorefile deploy/Dockerfile.dockerignore \
  -f deploy/Dockerfile --build-arg D2D_VERSION="$version" -t "$image" . >"$build_dir/image/build.log" 2>&1 \
  || { tail -n 40 "$build_dir/image/build.log" >&2; fail "podman build (log: $build_dir/image/build.log)"; }
step "image $image built in $(seconds_since "$start") s"

work=$(mktemp -d /tmp/d2d-image-test-XXXXXX)
pg_dir=$work/pg
serve_name=d2d-image-test-$$
cleanup() {
  podman rm -f -t 0 "$serve_name" >/dev/null 2>&1 || true
  bash scripts/pg-stop.sh "$pg_dir" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
# The containers' working folder, owned by the image's user.
mkdir -p "$work/data" && chown 10001:10001 "$work/data"
# One-off commands: no health check (it is serve's). Without systemd, podman cannot schedule the
# checks itself, so serve's is switched to "run on demand" (podman healthcheck run) below.
d2d() { podman run --rm --no-healthcheck --network host -v "$work/data:/data" "$image" "$@"; }

# 1. The version names the commit.
printed=$(d2d --version)
[[ $printed == *"$commit"* ]] || fail "d2d --version printed '$printed', not the commit $commit"
step "d2d --version: $printed"

# 2. Non-root, as configured and as run.
[[ $(podman image inspect --format '{{.Config.User}}' "$image") == d2d:d2d ]] || fail "image USER is not d2d:d2d"
uid=$(podman run --rm --no-healthcheck --entrypoint id "$image" -u)
[[ $uid == 10001 ]] || fail "the container runs as uid $uid, not 10001"
step "runs as uid $uid"

# 3. generate + run into PostgreSQL on the host's loopback, as the container's user.
bash scripts/pg-start.sh "$pg_dir" >/dev/null
uri=$(cat "$pg_dir/uri")
d2d generate --out /data/events --date 2019-06-01 --vehicles 20 --interval-s 10 --breaks \
  --bad-ratio 0.002 --seed 7 >/dev/null
d2d run --source /data/events --lake /data/lake --warehouse "$uri" --date 2019-06-01 --log-format text \
  || fail "d2d run into PostgreSQL failed"
report=$(d2d report --warehouse "$uri" --format json)
/usr/bin/python3 -c '
import json, sys
periods = json.loads(sys.argv[1])["operating_periods"]
assert periods and any(p["vehicles"] > 0 for p in periods), periods
' "$report" || fail "d2d report has no operating period with vehicles: $report"
recorded=$(psql "$uri" -Atc "SELECT string_agg(DISTINCT code_version, ',') FROM vehicle_analytics.etl_run")
[[ $recorded == *"$version" ]] || fail "etl_run.code_version is '$recorded', not the image's $version"
step "d2d run loaded 2019-06-01 into PostgreSQL; etl_run.code_version $recorded"

# 4. serve with the image's default command: token from /run/secrets, port moved by D2D_SERVE_PORT
#    (the health check reads the same variable), no scheduler (this test has no source to run).
port=$(bash scripts/free-port.sh)
openssl rand -hex 32 >"$work/token" && chown 10001 "$work/token" && chmod 400 "$work/token"
# (podman logs that it cannot reach systemd to schedule the checks: shown only if the start fails.)
podman run -d --name "$serve_name" --health-interval disable --network host -e D2D_WAREHOUSE="$uri" \
  -e D2D_SERVE_PORT="$port" -e D2D_SERVE_NO_SCHEDULER=true -v "$work/token:/run/secrets/d2d_serve_token:ro" \
  "$image" >/dev/null 2>"$work/serve-start.log" || { cat "$work/serve-start.log" >&2; fail "podman run serve"; }
healthy=0
for _ in $(seq 1 60); do
  if podman healthcheck run "$serve_name" >/dev/null 2>&1; then healthy=1; break; fi
  [[ $(podman inspect --format '{{.State.Running}}' "$serve_name") == true ]] \
    || { podman logs "$serve_name" >&2; fail "serve exited"; }
  sleep 0.5
done
((healthy)) || { podman logs "$serve_name" >&2; fail "serve's HEALTHCHECK never passed"; }
step "serve's HEALTHCHECK passes (port $port)"
server_user=$(podman top "$serve_name" huser,args | awk '/serve/ {print $1}')
[[ $server_user == 10001 ]] || fail "serve runs as host user '$server_user', not 10001"
status=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/metrics")
[[ $status == 401 ]] || fail "/metrics without the token answered $status, not 401"
status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(cat "$work/token")" \
  "http://127.0.0.1:$port/metrics")
[[ $status == 200 ]] || fail "/metrics with the token answered $status, not 200"
step "serve runs as uid $server_user; its pages need the token"
# The check can fail: without the warehouse /healthz answers 503.
bash scripts/pg-stop.sh "$pg_dir" >/dev/null
if podman healthcheck run "$serve_name" >/dev/null 2>&1; then fail "HEALTHCHECK passed with the warehouse stopped"; fi
step "serve's HEALTHCHECK fails with the warehouse stopped"
echo "test-image: $passed passed, 0 failed ($image)"
