#!/usr/bin/env bash
# Builds d2d as it was at an older commit, for the bench's baseline contenders (d2d_sqlite_base,
# d2d_pg_base): a storage or loading change is judged against the code before it, on the same day,
# in the same run, rather than against figures of another day and another machine state.
#
# usage: bench/build_baseline.sh COMMIT OUT_DIR
# Prints the path of the built binary. The tree comes from `git archive` (no worktree, nothing in
# .git changes) and is built with tests and benchmarks off; a binary already built for COMMIT in
# OUT_DIR is reused (the commit is immutable). The binary's version names the commit (the archive
# has no .git for the build to ask), as every etl_run row it writes will.
set -Eeuo pipefail
commit=$1
out=$2
cd "$(dirname "$0")/.."
full=$(git rev-parse --verify --quiet "$commit^{commit}") \
  || { echo "bench: baseline commit $commit is not in this clone's history" >&2; exit 1; }
dir=$out/$full
if [[ -x $dir/build/d2d && -f $dir/built ]]; then
  echo "$dir/build/d2d"
  exit 0
fi
rm -rf "$dir" && mkdir -p "$dir/src"
git archive "$full" | tar -x -C "$dir/src"
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
{
  cmake -S "$dir/src" -B "$dir/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DD2D_BUILD_TESTS=OFF \
    -DD2D_BUILD_BENCH=OFF -DD2D_GIT_DESCRIBE="$(git rev-parse --short "$full")" "${launcher[@]}" \
    && cmake --build "$dir/build" --target d2d -j "$(nproc)"
} >"$dir/build.log" 2>&1 || { echo "bench: building $commit failed, see $dir/build.log" >&2; exit 1; }
touch "$dir/built"
echo "$dir/build/d2d"
