#!/usr/bin/env bash
# Issue 14, item 1: object keys are untrusted (SPEC §7). A bucket serving keys with "..", "." and
# empty segments, a tab or a backslash must not make d2d write outside its lake: those objects
# are skipped with a warning, counted in etl_run.objects_refused and shown by `d2d status`, and
# the rest of the date loads. Before, the ".." key was written outside the lake folder.
# The fake S3 (s3rver refuses such keys) runs with d2d in a network namespace of their own, with
# only loopback: nothing here can reach a real endpoint.
# Usage: s3_hostile_keys_test.sh D2D_BINARY
set -euo pipefail
if [[ -z "${D2D_IN_NETNS:-}" ]]; then exec bash "$(dirname "$0")/in_netns.sh" bash "$0" "$@"; fi

d2d=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/d2d-hostile-keys-XXXXXX)
fake_pid=""
cleanup() {
  [[ -n "$fake_pid" ]] && kill "$fake_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

mkdir -p "$work/objects" "$work/run"
object() {  # object NAME KEY BODY: one file of the fake's bucket
  printf '%s\0%s' "$2" "$3" >"$work/objects/$1"
}
line='{"event":"update","on":"vehicle","at":"2019-06-01T10:00:00Z","data":{"id":"VEHICLE","location":{"lat":52.5,"lng":13.4,"at":"2019-06-01T10:00:00Z"}}}'
object good '2019/06/01/10/00/2019-06-01-10-00-0-events.txt' "${line/VEHICLE/good}"$'\n'
object climb '2019/06/01/../../../../../../../../escaped/2019-06-01-evil.txt' "${line/VEHICLE/evil}"$'\n'
object dot '2019/06/01/./2019-06-01-dot.txt' "${line/VEHICLE/dot}"$'\n'
object empty '2019/06/01//tmp/2019-06-01-empty.txt' "${line/VEHICLE/empty}"$'\n'
object tab $'2019/06/01/10/00/2019-06-01-ta\tb.txt' "${line/VEHICLE/tab}"$'\n'
object backslash '2019/06/01/10/00/2019-06-01-back\..\slash.txt' "${line/VEHICLE/backslash}"$'\n'

/usr/bin/python3 "$here/s3_hostile_fake.py" bucket "$work/objects" >"$work/port" &
fake_pid=$!
for _ in $(seq 50); do [[ -s "$work/port" ]] && break; sleep 0.1; done
port=$(cat "$work/port")
[[ -n "$port" ]] || fail "the fake S3 did not start"

cd "$work/run"  # a relative lake: "../../.." from inside it lands in $work
set +e
"$d2d" run --source s3://bucket --s3-endpoint "http://127.0.0.1:$port" --s3-anonymous --s3-attempts 1 \
  --lake lake --warehouse w.db --date 2019-06-01 2>"$work/err"
status=$?
set -e
cat "$work/err" >&2
[[ $status -eq 0 ]] || fail "d2d run exited $status"
escaped=$( (find "$work" -name '*2019-06-01-evil*' -not -path "$work/objects/*"; find /tmp / -maxdepth 3 -name '*2019-06-01-evil*' -not -path '/tmp/d2d-hostile-keys-*/objects/*') 2>/dev/null | head -5)
[[ -z "$escaped" ]] || fail "an object key left the lake: $escaped"
[[ $(sqlite3 w.db 'SELECT objects_refused FROM etl_run') == 5 ]] || fail "etl_run.objects_refused is not 5"
[[ $(sqlite3 w.db 'SELECT group_concat(vehicle_id) FROM location_update') == good ]] ||
  fail "location_update holds more than the good object's fix"
[[ $(grep -c 'skipping source object' "$work/err") == 5 ]] || fail "not one warning per refused object"
grep -q 'escaped/2019-06-01-evil.txt.*'"'"'\.\.'"'"' segment' "$work/err" || fail "the warning does not say why"
"$d2d" status --warehouse w.db | grep -q refused || fail "d2d status does not show refused objects"
echo "PASS: 5 hostile keys refused, the good object loaded, nothing written outside the lake"
