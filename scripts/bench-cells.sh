#!/usr/bin/env bash
# Benchmarks cells (SPEC "Cells") on the 1,000-service × 3-environment synthetic platform with
# prod as 1 cell and as 10 cells (`examples/synth.rs --cells N`: each cell its own cluster and
# region, waves of 1, 2, 4… cells). For each it times
#
#   infrac build       once, into an empty golden/ (wall, user, sys, peak memory)
#   infrac plan        with nothing changed since that build (median wall, mean user+sys)
#
# with hyperfine when installed, otherwise with a plain timing loop, and prints the ratio of
# the last `plan` to the one at 1 cell (or the first, without a 1) against the budget of
# issue 19, in wall time and in CPU time (the figure to trust on a shared machine): `plan` with nothing changed
# under 2 s at 10 cells, and 10 cells at most 4× one cell (cells share everything but their
# overlays, aggregates, roots and Applications). The binary is the contributors' `--release`
# build (no fat LTO); pass INFRAC=/path/to/infrac to time another one.
#
#   scripts/bench-cells.sh
#   CELLS="0 1 10" RUNS=20 scripts/bench-cells.sh       # 0: prod without `cells:`
#   SERVICES=200 CELLS="1 5 10" scripts/bench-cells.sh
#
# Writes only under $BENCH_DIR (default: a directory under ${TMPDIR:-/tmp}).
set -euo pipefail

cd "$(dirname "$0")/.."
SERVICES=${SERVICES:-1000}
CELLS=${CELLS:-"1 10"}
RUNS=${RUNS:-10}
WARMUP=${WARMUP:-2}
BENCH_DIR=${BENCH_DIR:-${TMPDIR:-/tmp}/infrac-bench}
RATIO_BUDGET=4
PLAN_BUDGET_MS=2000

if [[ -z ${INFRAC:-} ]]; then
  echo "building the release binary and generator..." >&2
  cargo build --release --locked --quiet --bin infrac --example synth
  INFRAC=$PWD/target/release/infrac
fi
SYNTH=${SYNTH:-$PWD/target/release/examples/synth}

have_hyperfine() { command -v hyperfine >/dev/null 2>&1; }

# plan_times ROOT: "MEDIAN_MS CPU_MS" of `infrac plan` (CPU: user + sys; the mean with
# hyperfine, the median of the loop's runs otherwise).
plan_times() {
  local root=$1
  if have_hyperfine; then
    local json
    json=$(mktemp)
    hyperfine --style none --warmup "$WARMUP" --runs "$RUNS" -N \
      --export-json "$json" "$INFRAC --root $root plan" >/dev/null
    python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print("%.1f %.1f" % (r["median"]*1000, (r["user"]+r["system"])*1000))' "$json"
    rm -f "$json"
  else
    local i walls=() cpus=() out
    for ((i = 0; i < WARMUP; i++)); do "$INFRAC" --root "$root" plan >/dev/null; done
    for ((i = 0; i < RUNS; i++)); do
      out=$({ /usr/bin/time -f "%e %U %S" "$INFRAC" --root "$root" plan >/dev/null; } 2>&1 | tail -1)
      walls+=("$(awk '{print $1*1000}' <<<"$out")")
      cpus+=("$(awk '{print ($2+$3)*1000}' <<<"$out")")
    done
    echo "$(printf '%s\n' "${walls[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')" \
      "$(printf '%s\n' "${cpus[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"
  fi
}

if have_hyperfine; then timer="hyperfine $(hyperfine --version | cut -d' ' -f2)"; else timer="shell loop"; fi
echo "platform: $SERVICES services × 3 environments, prod in N cells; binary: $INFRAC"
echo "plan: $timer, $RUNS runs after $WARMUP warm-up, median wall / CPU (user+sys); build: one run"
printf '%-6s %7s %12s %12s %10s %14s %14s\n' cells files "build wall" "build CPU" "build RSS" "plan median" "plan CPU"

first="" last="" first_cells="" last_cells=""
for cells in $CELLS; do
  root="$BENCH_DIR/cells-$SERVICES-$cells"
  rm -rf "$root"
  mkdir -p "$root"
  "$SYNTH" --services "$SERVICES" --cells "$cells" --out "$root" --force >/dev/null
  build=$({ /usr/bin/time -f "%e %U %S %M" "$INFRAC" --root "$root" build >/dev/null; } 2>&1 | tail -1)
  read -r b_wall b_user b_sys b_rss <<<"$build"
  files=$(find "$root/golden" -type f | wc -l)
  # `plan` with nothing changed must say so (exit 0) before it is worth timing.
  if ! "$INFRAC" --root "$root" plan >/dev/null; then
    echo "plan after build is not clean on $root" >&2
    exit 1
  fi
  read -r p_median p_cpu <<<"$(plan_times "$root")"
  printf '%-6s %7s %10.0f ms %10.0f ms %7.0f MiB %11.1f ms %11.1f ms\n' "$cells" "$files" \
    "$(awk '{print $1*1000}' <<<"$b_wall")" "$(awk '{print ($1+$2)*1000}' <<<"$b_user $b_sys")" \
    "$(awk '{print $1/1024}' <<<"$b_rss")" "$p_median" "$p_cpu"
  if [[ -z $first || $cells == 1 ]]; then first="$p_median $p_cpu" first_cells=$cells; fi
  last="$p_median $p_cpu" last_cells=$cells
done

if [[ $first_cells != "$last_cells" ]]; then
  # shellcheck disable=SC2086 # "$first" and "$last" are two numbers each
  python3 - "$first_cells" $first "$last_cells" $last "$RATIO_BUDGET" "$PLAN_BUDGET_MS" <<'PY'
import sys
c1, w1, u1, cn, wn, un, budget, plan_budget = sys.argv[1:]
w1, u1, wn, un, budget, plan_budget = map(float, (w1, u1, wn, un, budget, plan_budget))
for what, a, b in (("wall", w1, wn), ("CPU", u1, un)):
    ratio = b / max(a, 1e-9)
    print("plan %s, %s cells / %s cell(s): %.2f× (budget %g×: %s)" % (what, cn, c1, ratio, budget, "met" if ratio <= budget else "NOT met"))
print("plan at %s cells: %.0f ms median wall (budget %.0f ms: %s)" % (cn, wn, plan_budget, "met" if wn < plan_budget else "NOT met"))
PY
fi
