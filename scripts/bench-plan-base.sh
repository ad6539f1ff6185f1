#!/usr/bin/env bash
# Benchmarks the plan of a pull request on the 1,000-service × 3-environment synthetic
# platform: a temporary git repository whose base commit holds the platform and its built
# golden tree, and whose HEAD commit changes 10 services (a config value each, so 30 overlay
# files differ) with the golden tree rebuilt, as a pull request commits it. Then times
#
#   infrac plan --base HEAD~1       (the base golden tree and inputs read from git included)
#   infrac affected --base HEAD~1
#
# with hyperfine when installed, otherwise with a plain timing loop, and prints the median
# wall time of each (and, with hyperfine, the mean CPU time). The binary is the contributors' `--release` build (no fat LTO); pass
# INFRAC=/path/to/infrac to time another one.
#
#   scripts/bench-plan-base.sh
#   SERVICES=5000 RUNS=20 scripts/bench-plan-base.sh
#
# Writes only under $BENCH_DIR (default: a directory under ${TMPDIR:-/tmp}).
set -euo pipefail

cd "$(dirname "$0")/.."
SERVICES=${SERVICES:-1000}
RUNS=${RUNS:-15}
WARMUP=${WARMUP:-3}
BENCH_DIR=${BENCH_DIR:-${TMPDIR:-/tmp}/infrac-bench}

if [[ -z ${INFRAC:-} ]]; then
  echo "building the release binary and generator..." >&2
  cargo build --release --locked --quiet --bin infrac --example synth
  INFRAC=$PWD/target/release/infrac
fi
SYNTH=${SYNTH:-$PWD/target/release/examples/synth}

root="$BENCH_DIR/pr-$SERVICES"
rm -rf "$root"
mkdir -p "$root"
"$SYNTH" --services "$SERVICES" --out "$root" --force >/dev/null
git_() { git -C "$root" -c user.name=bench -c user.email=bench@example.com -c init.defaultBranch=main "$@"; }
git_ init -q
"$INFRAC" --root "$root" build >/dev/null
git_ add -A
git_ commit -q -m base
python3 - "$root/registry.yaml" <<'PY'
import re, sys
path = sys.argv[1]
text = open(path).read()
count = [0]
def bump(m):
    if count[0] == 10:
        return m.group(0)
    count[0] += 1
    return m.group(1) + str(int(m.group(2)) + 1)
open(path, "w").write(re.sub(r"(_TIMEOUT_MS: )(\d+)", bump, text))
PY
"$INFRAC" --root "$root" build >/dev/null
git_ add -A
git_ commit -q -m "10 services changed"
changed=$("$INFRAC" --root "$root" plan --base HEAD~1 --format json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["files"]))' || true)
echo "platform: $SERVICES services × 3 environments; files changed since HEAD~1: $changed"

median_of() {
  if command -v hyperfine >/dev/null 2>&1; then
    local json
    json=$(mktemp)
    hyperfine --style none --warmup "$WARMUP" --runs "$RUNS" --ignore-failure -N \
      --export-json "$json" "$1" >/dev/null
    # The CPU time (user + system, git's processes included) beside the wall time: a busy
    # machine disturbs it much less.
    python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print("%10.1f %10.1f" % (r["median"]*1000, (r["user"]+r["system"])*1000))' "$json"
    rm -f "$json"
  else
    local i times=() t0 t1
    for ((i = 0; i < WARMUP; i++)); do $1 >/dev/null 2>&1 || true; done
    for ((i = 0; i < RUNS; i++)); do
      t0=$(date +%s%N)
      $1 >/dev/null 2>&1 || true
      t1=$(date +%s%N)
      times+=($(((t1 - t0) / 1000)))
    done
    printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%10.1f %10s\n", a[int((NR+1)/2)]/1000, "-"}'
  fi
}

echo "median wall time and mean CPU time (user + system) in ms ($RUNS runs after $WARMUP warm-up)"
printf '%-28s %10s %10s\n' command median cpu
printf '%-28s %s\n' "plan --base HEAD~1" "$(median_of "$INFRAC --root $root plan --base HEAD~1")"
printf '%-28s %s\n' "affected --base HEAD~1" "$(median_of "$INFRAC --root $root affected --base HEAD~1")"
