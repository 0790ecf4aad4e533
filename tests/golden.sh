#!/bin/sh
# golden.sh GENC [--update]: the compiled graph of every shipped model,
# compared with tests/golden/<model>.graph. With --update (make golden),
# rewrites the files instead; review the diff before committing it.
set -u
update=0
if [ "${1:-}" = "--update" ]; then update=1; shift; fi
genc=${1:-build/genc}
status=0
for model in models/*.g; do
    name=$(basename "$model" .g)
    want=tests/golden/$name.graph
    got=$(mktemp)
    if ! "$genc" graph "$model" > "$got"; then
        echo "golden: $model does not compile" >&2
        status=1
    elif [ $update = 1 ]; then
        cp "$got" "$want"
    elif ! diff -u "$want" "$got" > "$got.diff" 2>&1; then
        echo "golden: the graph of $model changed (make golden rewrites it):" >&2
        head -40 "$got.diff" >&2
        status=1
    fi
    rm -f "$got" "$got.diff"
done
[ $update = 1 ] && echo "golden: rewrote tests/golden/*.graph; review with git diff"
[ $status = 0 ] && [ $update = 0 ] && echo "golden: $(ls models/*.g | wc -l) graphs match"
exit $status
