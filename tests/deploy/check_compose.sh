#!/usr/bin/env bash
# Validates deploy/docker-compose.yml with Compose v1 (`docker-compose config`, Debian's package),
# which needs no Docker engine, then checks what the README promises: healthchecks on both
# services, d2d waiting for a healthy PostgreSQL, serve bound to every interface inside the
# container but published on the host's loopback only and given its token from a secret file, and
# no default for the password, the token or the code version. It builds deploy/Dockerfile (the
# image `make test-image` tests) with the version as its build argument, and every D2D_* variable
# it sets is one d2d reads (the names in src/cli/settings_table.cpp, given as the second argument).
# Exit 77 (ctest: skipped) when no Compose client is installed.
set -euo pipefail
compose_file=$1
settings_cpp=$2
if ! command -v docker-compose >/dev/null; then
  echo "docker-compose not installed: compose file not checked" >&2
  exit 77
fi
export D2D_VERSION=v9.9-test
if D2D_SOURCE=s3://b D2D_SERVE_TOKEN_FILE=/dev/null docker-compose -f "$compose_file" config -q 2>/dev/null; then
  echo "compose file accepted a missing D2D_PG_PASSWORD" >&2
  exit 1
fi
if D2D_SOURCE=s3://b D2D_PG_PASSWORD=secret docker-compose -f "$compose_file" config -q 2>/dev/null; then
  echo "compose file accepted a missing D2D_SERVE_TOKEN_FILE" >&2
  exit 1
fi
if env -u D2D_VERSION D2D_SOURCE=s3://b D2D_PG_PASSWORD=secret D2D_SERVE_TOKEN_FILE=/dev/null \
  docker-compose -f "$compose_file" config -q 2>/dev/null; then
  echo "compose file accepted a missing D2D_VERSION (every image would record the same code version)" >&2
  exit 1
fi
D2D_PG_PASSWORD=secret D2D_SOURCE=s3://fleet-events D2D_SERVE_TOKEN_FILE=/etc/d2d/serve-token \
  docker-compose -f "$compose_file" config > "${TMPDIR:-/tmp}/d2d-compose-$$.yml"
trap 'rm -f "${TMPDIR:-/tmp}/d2d-compose-$$.yml"' EXIT
/usr/bin/python3 - "${TMPDIR:-/tmp}/d2d-compose-$$.yml" "$settings_cpp" <<'PY'
import re
import sys
import yaml

config = yaml.safe_load(open(sys.argv[1]))
known = set(re.findall(r'"(D2D_[A-Z0-9_]+)"', open(sys.argv[2], encoding="utf-8").read()))
services = config["services"]
problems = []
for name in ("postgres", "d2d"):
    if "healthcheck" not in services.get(name, {}):
        problems.append(f"service {name} has no healthcheck")
if not services["postgres"]["image"].startswith("postgres:15"):
    problems.append("the warehouse must be PostgreSQL 15")
d2d = services["d2d"]
if d2d.get("depends_on", {}).get("postgres", {}).get("condition") != "service_healthy":
    problems.append("d2d must wait for a healthy postgres")
command = d2d["command"]
if command[:1] != ["serve"] or command[command.index("--bind") + 1] != "0.0.0.0":
    problems.append(f"d2d must run `serve --bind 0.0.0.0`, not {command}")
for flag in ("--port", "--auth-token-file"):
    if flag not in command:
        problems.append(f"serve needs {flag}")
# The schedule as flags or under the variable names d2d reads (D2D_AT, D2D_TZ were read by nobody).
for flag, variable in (("--at", "D2D_SERVE_AT"), ("--tz", "D2D_SERVE_TZ")):
    if flag not in command and variable not in d2d.get("environment", {}):
        problems.append(f"serve needs {flag} or {variable}")
if "--auth-token-file" in command:
    token_path = command[command.index("--auth-token-file") + 1]
    secrets = [s if isinstance(s, str) else s.get("source") for s in d2d.get("secrets", [])]
    if not token_path.startswith("/run/secrets/") or token_path.rsplit("/", 1)[1] not in secrets:
        problems.append(f"--auth-token-file must name a secret of the service: {token_path}, {secrets}")
    elif config.get("secrets", {}).get(token_path.rsplit("/", 1)[1], {}).get("file") != "/etc/d2d/serve-token":
        problems.append("the token's secret must be the file D2D_SERVE_TOKEN_FILE names")
if "--allow-unauthenticated" in command:
    problems.append("serve must not run without authentication")
def host_ip(port):  # Compose v1 renders "127.0.0.1:8080:8080/tcp"; the spec's long form is a map
    return port.split(":")[0] if isinstance(port, str) else str(port.get("host_ip", ""))
if not d2d.get("ports") or not all(host_ip(p) == "127.0.0.1" for p in d2d["ports"]):
    problems.append(f"the status page must be published on the host's loopback only: {d2d.get('ports')}")
env = d2d["environment"]
if not env.get("D2D_WAREHOUSE", "").startswith("postgresql://") or ":secret@" in env["D2D_WAREHOUSE"]:
    problems.append("D2D_WAREHOUSE must be a postgresql:// URI without the password")
if env.get("PGPASSWORD") != "secret" or env.get("D2D_SOURCE") != "s3://fleet-events":
    problems.append("PGPASSWORD and D2D_SOURCE must come from the environment")
unknown = sorted(name for name in env if name.startswith("D2D_") and name not in known)
if unknown:
    problems.append(f"variables d2d does not read: {unknown}")
build = d2d.get("build", {})
if build.get("dockerfile") != "deploy/Dockerfile" or build.get("args", {}).get("D2D_VERSION") != "v9.9-test":
    problems.append(f"d2d must build deploy/Dockerfile with D2D_VERSION as its build argument: {build}")
if not str(d2d.get("image", "")).endswith(":v9.9-test"):
    problems.append(f"the image must be tagged with D2D_VERSION: {d2d.get('image')}")
for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
    if env.get(name) == "":
        problems.append(f"{name} defaults to an empty value: pass it only when set")
if "D2D_SERVE_TOKEN" in env:
    problems.append("the token must come from a secret file, not the environment (docker inspect shows it)")
for problem in problems:
    print(problem, file=sys.stderr)
sys.exit(1 if problems else 0)
PY
