#!/bin/sh
# replay.sh GENC: runs the committed fuzzing corpora (tests/fuzz/corpus/NAME/)
# through their harnesses, built without libFuzzer next to GENC as
# BUILD/fuzz/replay_NAME (make test builds them; under make SAN=1 test,
# with ASan, UBSan and LeakSanitizer, which is the point). Every input must
# run without a crash, a sanitizer report or a leak.
set -u
genc=${1:-build/genc}
b=$(cd "$(dirname "$genc")" && pwd) || exit 2
cd "$(dirname "$0")/../.." || exit 2
failed=""
for name in frontend idx checkpoint media; do
    bin=$b/fuzz/replay_$name
    if [ ! -x "$bin" ]; then
        echo "replay: $bin is missing (make test builds it)" >&2
        failed="$failed $name"
        continue
    fi
    "$bin" "tests/fuzz/corpus/$name" || failed="$failed $name"
done
if [ -n "$failed" ]; then
    echo "replay: failed:$failed (REPLAY_VERBOSE=1 names each input)" >&2
    exit 1
fi
