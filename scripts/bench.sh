#!/usr/bin/env bash
# Benchmarks the `infrac` binary users run (the `dist` profile: fat LTO) on synthetic
# platforms, side by side per size:
# generates N-service × 3-environment platforms with `examples/synth.rs`, then times
# `infrac validate` (and `build` / `plan` once the binary has them) with hyperfine when
# installed (`apt-get install -y hyperfine`), otherwise with a plain timing loop, and prints
# the median wall time of each.
#
#   scripts/bench.sh                     # sizes 100 and 1000
#   SIZES="100 1000 5000" RUNS=20 scripts/bench.sh
#   BASELINE=/path/to/other/infrac scripts/bench.sh   # same runs with a second binary beside
#
# Writes only under $BENCH_DIR (default: a directory under ${TMPDIR:-/tmp}); never touches the
# repository's own platform or golden files. The issue's target: validate on 1000 × 3 < 150 ms.
set -euo pipefail

cd "$(dirname "$0")/.."
SIZES=${SIZES:-"100 1000"}
RUNS=${RUNS:-15}
WARMUP=${WARMUP:-3}
BENCH_DIR=${BENCH_DIR:-${TMPDIR:-/tmp}/infrac-bench}
BASELINE=${BASELINE:-}

# `--profile dist`, the build the wheel and the release binaries use: the figures are what
# users get. (`--release` skips fat LTO, relinks faster and runs slower.)
echo "building the dist binary and generator..." >&2
cargo build --profile dist --quiet --bin infrac --example synth --example write_floor --example phases \
  --example compile
INFRAC=$PWD/target/dist/infrac
SYNTH=$PWD/target/dist/examples/synth
mkdir -p "$BENCH_DIR"

COMPILE=$PWD/target/dist/examples/compile

# The commands this binary has: validate always; build and plan once they exist. `compile`
# is the in-memory compile of `build` without writing (examples/compile.rs); `plan-10` is
# `plan` after 10 services changed (a config value each, so 30 overlay files differ).
commands=(validate compile)
for extra in build plan; do
  if "$INFRAC" "$extra" --help >/dev/null 2>&1; then commands+=("$extra"); fi
done
[[ " ${commands[*]} " == *" plan "* ]] && commands+=(plan-10)

have_hyperfine() { command -v hyperfine >/dev/null 2>&1; }

# median_ms BIN ROOT COMMAND: the median wall time in milliseconds.
median_ms() {
  local bin=$1 root=$2 cmd=$3
  # `compile` is not a subcommand: time the example binary on the same root instead.
  if [[ $cmd == compile ]]; then
    median_of "$COMPILE $root"
    return
  fi
  if [[ $cmd == plan-10 ]]; then
    median_of "$bin --root $root-changed plan"
    return
  fi
  median_of "$bin --root $root $cmd"
}

# median_of COMMAND-LINE: the median wall time in milliseconds of running it.
median_of() {
  local line=$1
  if have_hyperfine; then
    local json
    json=$(mktemp)
    hyperfine --style none --warmup "$WARMUP" --runs "$RUNS" --ignore-failure -N \
      --export-json "$json" "$line" >/dev/null
    python3 -c 'import json,sys; print("%.1f" % (json.load(open(sys.argv[1]))["results"][0]["median"]*1000))' "$json"
    rm -f "$json"
  else
    local i times=()
    for ((i = 0; i < WARMUP; i++)); do $line >/dev/null 2>&1 || true; done
    for ((i = 0; i < RUNS; i++)); do
      local t0 t1
      t0=$(date +%s%N)
      $line >/dev/null 2>&1 || true
      t1=$(date +%s%N)
      times+=($(((t1 - t0) / 1000)))
    done
    printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.1f\n", a[int((NR+1)/2)]/1000}'
  fi
}

if have_hyperfine; then timer="hyperfine $(hyperfine --version | cut -d' ' -f2)"; else timer="shell loop"; fi
echo "timer: $timer; $RUNS runs after $WARMUP warm-up; median wall time in ms"
header=$(printf '%-10s %9s %12s' command services infrac)
[[ -n $BASELINE ]] && header+=$(printf ' %12s %8s' baseline ratio)
echo "$header"

for n in $SIZES; do
  root="$BENCH_DIR/synth-$n"
  "$SYNTH" --services "$n" --out "$root" --force >/dev/null
  if ! "$INFRAC" --root "$root" validate >/dev/null 2>&1; then
    echo "synthetic platform $root does not validate:" >&2
    "$INFRAC" --root "$root" validate >&2 || true
    exit 1
  fi
  for cmd in "${commands[@]}"; do
    # `plan` diffs against golden/: build once so it measures the no-change case.
    [[ $cmd == plan ]] && "$INFRAC" --root "$root" build >/dev/null 2>&1 || true
    # `plan-10`: a copy of the built platform with 10 services' config changed.
    if [[ $cmd == plan-10 ]]; then
      rm -rf "$root-changed" && cp -r "$root" "$root-changed"
      python3 - "$root-changed/registry.yaml" <<'PY'
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
    fi
    ms=$(median_ms "$INFRAC" "$root" "$cmd")
    line=$(printf '%-10s %9s %12s' "$cmd" "$n" "$ms")
    if [[ -n $BASELINE ]]; then
      base=$(median_ms "$BASELINE" "$root" "$cmd")
      line+=$(printf ' %12s %8s' "$base" "$(python3 -c "print('%.2fx' % ($ms / max($base, 1e-9)))")")
    fi
    echo "$line"
  done
done

# Stage timings in one process (front end, each target, plan diff) and the write floor:
# `infrac build` into an empty directory beside a minimal program writing the same files.
for n in $SIZES; do
  root="$BENCH_DIR/synth-$n"
  echo "== stages, $n services"
  "$PWD/target/dist/examples/phases" "$root"
  "$INFRAC" --root "$root" build >/dev/null
  floor_src="$BENCH_DIR/floor-src-$n"
  rm -rf "$floor_src" && cp -r "$root/golden" "$floor_src"
  if have_hyperfine; then
    hyperfine --style basic -N --runs "${FRESH_RUNS:-5}" --prepare "rm -rf $root/golden $BENCH_DIR/floor-dst" \
      "$INFRAC --root $root build" "$PWD/target/dist/examples/write_floor $floor_src $BENCH_DIR/floor-dst" \
      | grep -E 'Benchmark|Time|faster|±'
  fi
done
