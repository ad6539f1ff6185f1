#!/usr/bin/env bash
# kill-loop.sh: `kill -9` an `infrac build` at random points and check, after every kill, that
# `infrac check` either says the tree is fresh or reports it as not fresh (the interruption:
# stray temp files, the build lock, files the manifest does not record), that the next build
# repairs it (exit 0), and that no temp file or lock remains afterwards.
#
#   scripts/kill-loop.sh [ITERATIONS] [SERVICES] [DIR]      (defaults: 100 300 a temp dir)
#
# INFRAC (default target/release/infrac) and SYNTH (default target/debug/examples/synth) name
# the binaries. Every iteration flips the inputs between two states that rewrite a few
# hundred files and add or delete the Azure Pipelines files, so a kill can land while files
# are staged, renamed or deleted. The kill point is uniform over 0..1.1 × the duration of an
# uninterrupted build. Prints one line per iteration and the figures at the end; exits 1 on
# the first broken promise.
set -euo pipefail

ITER=${1:-100}
SERVICES=${2:-300}
DIR=${3:-$(mktemp -d)}
INFRAC=${INFRAC:-target/release/infrac}
SYNTH=${SYNTH:-target/debug/examples/synth}

[ -f "$DIR/registry.yaml" ] || "$SYNTH" --services "$SERVICES" --out "$DIR" >/dev/null
"$INFRAC" --root "$DIR" build >/dev/null

state=0
flip() {
    if [ "$state" = 0 ]; then
        sed -i 's/memory: 1Gi}}/memory: 2Gi}}/; s/^  ci: \[github, azure-pipelines\]/  ci: [github]/' "$DIR/registry.yaml"
        state=1
    else
        sed -i 's/memory: 2Gi}}/memory: 1Gi}}/; s/^  ci: \[github\]$/  ci: [github, azure-pipelines]/' "$DIR/registry.yaml"
        state=0
    fi
}

leftovers() {
    find "$DIR" \( -name '.infrac-tmp-*' -o -name '.infrac-lock' \) -print | wc -l
}

now_ms() { date +%s%3N; }

# One uninterrupted build after a flip sets the range of kill points.
flip
t0=$(now_ms)
"$INFRAC" --root "$DIR" build >/dev/null
span=$(( ($(now_ms) - t0) * 11 / 10 ))
echo "uninterrupted build: $(( span * 10 / 11 )) ms; kill points uniform over 0..${span} ms"

fail() { echo "FAIL (iteration $i): $*" >&2; exit 1; }

n_mid=0 n_tmp=0 n_fresh=0 n_untouched=0 n_interrupted=0
for i in $(seq 1 "$ITER"); do
    flip
    delay=$(( RANDOM * 32768 + RANDOM ))
    delay=$(( delay % (span + 1) ))
    "$INFRAC" --root "$DIR" build >/dev/null 2>&1 &
    pid=$!
    sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true

    lock=0; [ -e "$DIR/golden/.infrac-lock" ] && lock=1
    tmp=$(find "$DIR" -name '.infrac-tmp-*' | wc -l)
    set +e
    out=$("$INFRAC" --root "$DIR" check 2>/dev/null)
    code=$?
    set -e
    [ "$lock" = 1 ] && n_mid=$((n_mid + 1))
    [ "$tmp" -gt 0 ] && n_tmp=$((n_tmp + 1))
    if [ "$code" = 0 ]; then
        [ "$lock" = 0 ] && [ "$tmp" = 0 ] || fail "check says fresh with leftovers (lock=$lock tmp=$tmp)"
        outcome=fresh; n_fresh=$((n_fresh + 1))
    elif [ "$code" = 1 ]; then
        if grep -q -e 'interrupted build' -e 'not recorded in the manifest' <<<"$out"; then
            outcome=interrupted; n_interrupted=$((n_interrupted + 1))
        else
            [ "$lock" = 0 ] && [ "$tmp" = 0 ] || fail "leftovers not reported (lock=$lock tmp=$tmp)"
            outcome=stale; n_untouched=$((n_untouched + 1))
        fi
    else
        fail "check exited $code"
    fi

    "$INFRAC" --root "$DIR" build >/dev/null || fail "repair build failed"
    [ "$(leftovers)" = 0 ] || fail "leftovers after the repair build"
    set +e
    "$INFRAC" --root "$DIR" check >/dev/null 2>&1
    after=$?
    set -e
    [ "$after" = 0 ] || fail "check after the repair build exited $after"
    echo "$i: kill at ${delay} ms: lock held=$lock temp files=$tmp check=$code ($outcome); repaired"
done

echo "iterations: $ITER; kills while the build held the lock (mid-write): $n_mid, of which with temp files staged: $n_tmp"
echo "check after the kill: fresh $n_fresh, stale with the interruption reported $n_interrupted, stale before any write $n_untouched"
echo "every repair build exited 0, left no temp file or lock, and check said fresh"
