#!/bin/sh
# run.sh BUILD_DIR: every genc test. Unit programs (float32 and float64
# builds), golden graphs, error diagnostics, the fuzzing corpora replayed,
# end-to-end scripts.
# Exits non-zero if any part fails; prints which.
set -u
B=${1:-build}
failed=""

for t in "$B"/tests/test_* "$B"/f64/tests/f64_*; do
    [ -x "$t" ] || continue
    "$t" || failed="$failed $(basename "$t")"
done

for s in tests/layers.sh tests/golden.sh tests/errors.sh tests/fuzz/replay.sh tests/e2e/*.sh; do
    [ -x "$s" ] || continue
    "$s" "$B/genc" || failed="$failed $(basename "$s")"
done

if [ -n "$failed" ]; then
    echo "FAILED:$failed" >&2
    exit 1
fi
echo "all tests passed"
