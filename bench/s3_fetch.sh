#!/usr/bin/env bash
# `make bench-s3`: fetching one generated lake date from S3 (s3rver on loopback), d2d against
# `aws s3 cp --recursive` of the same prefix (Debian's awscli), side by side in one run;
# writes bench/S3_RESULTS.md. BENCH_S3_VEHICLES (default 100), BENCH_S3_ROUNDS (default 3;
# contenders alternate within a round, the best of each is reported).
set -euo pipefail
cd "$(dirname "$0")/.."
d2d=build/d2d
vehicles=${BENCH_S3_VEHICLES:-100}
rounds=${BENCH_S3_ROUNDS:-3}
date=2024-04-01
work=$(mktemp -d /tmp/d2d-bench-s3-XXXXXX)
trap 'bash scripts/s3rver-stop.sh "$work/s3" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_ENDPOINT_URL

seconds() { # the wall time of a command in seconds (its output goes to $work/last.*)
  local start=$EPOCHREALTIME
  "$@" >"$work/last.out" 2>"$work/last.err" || { cat "$work/last.err" >&2; return 1; }
  echo "$EPOCHREALTIME - $start" | bc -l
}

bash scripts/s3rver-start.sh "$work/s3" >&2
endpoint=$(cat "$work/s3/endpoint")
$d2d generate --out "$work/source" --date $date --vehicles "$vehicles" --seed 1 >&2
files=$(find "$work/source/${date//-//}" -type f | wc -l)
bytes=$(du -sb "$work/source/${date//-//}" | cut -f1)
/usr/bin/aws --endpoint-url "$endpoint" s3 cp --recursive --only-show-errors "$work/source" s3://d2d-bench/events/
prefix="s3://d2d-bench/events/${date//-//}/"
echo "bench: $files objects, $bytes bytes under $prefix" >&2

declare -a aws=() fetch=() run=() extract_ms=()
for round in $(seq 1 "$rounds"); do
  rm -rf "$work/cp" "$work/lake" "$work/fetch" "$work/w.db"
  aws+=("$(seconds /usr/bin/aws --endpoint-url "$endpoint" s3 cp --recursive --only-show-errors "$prefix" "$work/cp")")
  got=$(find "$work/cp" -type f | wc -l)
  [[ $got == "$files" ]] || { echo "bench: aws s3 cp fetched $got of $files objects" >&2; exit 1; }
  # d2d's extract as a process of its own: list the date, fetch, verify, write the raw zone.
  fetch+=("$(AWS_ENDPOINT_URL=$endpoint seconds build/d2d_s3_fetch s3://d2d-bench/events "$work/fetch" $date)")
  got=$(find "$work/fetch/raw" -type f -name '*events*' | wc -l)
  [[ $got == "$files" ]] || { echo "bench: d2d_s3_fetch fetched $got of $files objects" >&2; exit 1; }
  diff -r "$work/cp" "$work/fetch/raw/lake_date=$date/${date//-//}" >/dev/null \
    || { echo "bench: d2d and aws fetched different bytes" >&2; exit 1; }
  # d2d run: extract (list + fetch + verify + raw zone) then transform, load and derive.
  run+=("$(seconds $d2d run --source s3://d2d-bench/events --lake "$work/lake" --warehouse "$work/w.db" --date $date \
    --s3-endpoint "$endpoint" --max-reject-ratio 1)")
  extract_ms+=("$(sqlite3 "$work/w.db" "SELECT extract_ms FROM etl_run ORDER BY run_id DESC LIMIT 1")")
  got=$(sqlite3 "$work/w.db" "SELECT objects FROM etl_run ORDER BY run_id DESC LIMIT 1")
  [[ $got == "$files" ]] || { echo "bench: d2d fetched $got of $files objects" >&2; exit 1; }
  echo "bench: round $round: aws s3 cp ${aws[-1]} s; d2d fetch ${fetch[-1]} s; d2d run ${run[-1]} s" \
    "(extract ${extract_ms[-1]} ms)" >&2
done

# How the parallelism setting shapes the fetch (fresh lake each time, best of the rounds).
parallel_rows=""
for parallel in 1 2 4 8 16; do
  declare -a times=()
  for round in $(seq 1 "$rounds"); do
    rm -rf "$work/fetch"
    times+=("$(AWS_ENDPOINT_URL=$endpoint seconds build/d2d_s3_fetch s3://d2d-bench/events "$work/fetch" $date $parallel)")
  done
  best_time=$(printf '%s\n' "${times[@]}" | sort -g | head -n 1)
  parallel_rows+="| $parallel | $(printf %.2f "$best_time") |"$'\n'
  echo "bench: --s3-parallel $parallel: fetch $best_time s" >&2
  unset times
done

best() { printf '%s\n' "$@" | sort -g | head -n 1; }
aws_s=$(best "${aws[@]}")
fetch_s=$(best "${fetch[@]}")
run_s=$(best "${run[@]}")
extract_s=$(echo "$(best "${extract_ms[@]}") / 1000" | bc -l)
ratio() { printf '%.2f' "$(echo "$1 / $2" | bc -l)"; }
cat >bench/S3_RESULTS.md <<MD
# S3 fetch benchmark (\`make bench-s3\`, bench/s3_fetch.sh)

One generated lake date ($vehicles vehicles, $files objects, $bytes bytes, nested layout) in s3rver
on loopback; best of $rounds alternating rounds on this machine ($(nproc) cores), $(date -u +%Y-%m-%d).

| contender | wall (s) | vs aws s3 cp |
|---|---:|---:|
| \`aws s3 cp --recursive $prefix\` (awscli $(/usr/bin/aws --version 2>&1 | cut -d' ' -f1 | cut -d/ -f2)) | $(printf %.2f "$aws_s") | 1.00 |
| \`d2d_s3_fetch\`: d2d's extract as a process (list the date, fetch 8 at a time, verify length + MD5, write the raw zone and manifest) | $(printf %.2f "$fetch_s") | $(ratio "$aws_s" "$fetch_s")x as fast |
| the same extract phase inside \`d2d run\` (\`etl_run.extract_ms\`) | $(printf %.2f "$extract_s") | $(ratio "$aws_s" "$extract_s")x as fast |
| for scale: the whole \`d2d run\` (extract, then transform, load into SQLite, derive) | $(printf %.2f "$run_s") | |

Both fetchers get byte-identical files (the script compares them).

\`d2d_s3_fetch\` wall time by \`--s3-parallel\` (default 8):

| --s3-parallel | fetch (s) |
|---:|---:|
${parallel_rows}
MD
cat bench/S3_RESULTS.md
