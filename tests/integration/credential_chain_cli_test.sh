#!/usr/bin/env bash
# Issue 16, item 1, through the whole CLI: `d2d run` on an S3 source signs with credentials from
# the chain's later sources (before, each of these ended as "credentials: anonymous"), logs which
# source it used (debug lines for each step) and never a secret. The fakes of the AWS endpoints
# (aws_credentials_fake.py, also a one-bucket S3 that checks who signed) run with d2d in a network
# namespace with only loopback (in_netns.sh), where the metadata addresses are loopback too.
# Usage: credential_chain_cli_test.sh D2D_BINARY
set -euo pipefail
if [[ -z "${D2D_IN_NETNS:-}" ]]; then exec bash "$(dirname "$0")/in_netns.sh" bash "$0" "$@"; fi

d2d=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/d2d-credential-cli-XXXXXX)
fake_pid=""
cleanup() {
  [[ -n "$fake_pid" ]] && kill "$fake_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

/usr/bin/python3 "$here/aws_credentials_fake.py" --listen 127.0.0.1:0 --listen 169.254.169.254:80 \
  --listen 169.254.170.2:80 >"$work/port" &
fake_pid=$!
for _ in $(seq 50); do [[ -s "$work/port" ]] && break; sleep 0.1; done
fake="http://127.0.0.1:$(cat "$work/port")"
curl -sf -X POST "$fake/_control" -d '{"web_token": "oidc-token", "signers": {"SOURCEKEY": "SOURCESECRET"}}' >/dev/null

run() {  # run NAME ENV...: d2d run on the fake's empty bucket with only these AWS variables
  local name=$1
  shift
  set +e
  env -i PATH="$PATH" HOME="$work/home-$name" "$@" "$d2d" run --source s3://bucket --s3-endpoint "$fake" \
    --s3-addressing path --s3-attempts 1 --lake "$work/lake-$name" --warehouse "$work/$name.db" \
    --date 2019-06-01 --allow-empty --log-level debug 2>"$work/$name.err"
  local status=$?
  set -e
  [[ $status -eq 0 ]] || { cat "$work/$name.err" >&2; fail "$name: d2d run exited $status"; }
}
expect() {  # expect NAME TEXT: the run's stderr says TEXT
  grep -qF -- "$2" "$work/$1.err" || { cat "$work/$1.err" >&2; fail "$1: no '$2' in the log"; }
}

echo oidc-token >"$work/token"
run irsa AWS_ROLE_ARN=arn:aws:iam::1:role/irsa AWS_WEB_IDENTITY_TOKEN_FILE="$work/token" AWS_ENDPOINT_URL_STS="$fake"
expect irsa "credentials: web identity (arn:aws:iam::1:role/irsa)"

mkdir -p "$work/home-role/.aws"
printf '[profile deploy]\nrole_arn = arn:aws:iam::1:role/deploy\nsource_profile = base\n' >"$work/home-role/.aws/config"
printf '[base]\naws_access_key_id = SOURCEKEY\naws_secret_access_key = SOURCESECRET\n' >"$work/home-role/.aws/credentials"
run role AWS_PROFILE=deploy AWS_ENDPOINT_URL_STS="$fake" AWS_EC2_METADATA_DISABLED=true
expect role "credentials: profile deploy (role arn:aws:iam::1:role/deploy)"

run ecs AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=/v2/credentials/task
expect ecs "credentials: container credentials (http://169.254.170.2/v2/credentials/task)"
expect ecs "AWS credentials: web identity: not configured"

run ec2  # the default instance metadata address, in this namespace the fake
expect ec2 "credentials: EC2 instance metadata (role d2d-role)"
expect ec2 "AWS credentials: using EC2 instance metadata (role d2d-role), expiring"

log=$(curl -sf "$fake/_log")
secrets=$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print("\n".join(v[k] for v in d["issued"].values() for k in ("secret","token")))' "$log")
while read -r secret; do
  ! grep -qF -- "$secret" "$work"/*.err || fail "a secret or token is in the log"
done <<<"$secrets"
! grep -q SOURCESECRET "$work"/*.err || fail "the source profile's secret is in the log"
signed=$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(sum(1 for e in d["log"] if e.get("ok") is True and e.get("s3","").startswith("ASIA")))' "$log")
refused=$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(sum(1 for e in d["log"] if e.get("ok") is False))' "$log")
[[ $signed -ge 4 && $refused -eq 0 ]] || fail "the fake S3 saw $signed requests signed by issued keys, $refused refused"
echo "PASS: web identity, role_arn, container and instance metadata credentials signed d2d's S3 requests"
