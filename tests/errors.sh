#!/bin/sh
# errors.sh [--update] GENC: the diagnostics of every broken model.
#
# For each tests/errors/NAME.g, runs `GENC check` on it and compares what
# it prints on stderr, byte for byte, with tests/errors/NAME.expected, and
# its exit status with 3 (compile errors), or with the status a case
# declares in a first-line comment `# exit: N`. Prints a diff for each
# mismatch, then one summary line; exits 1 if any case failed.
#
# With --update, rewrites the .expected files from what genc prints now;
# review them (git diff tests/errors) before committing. The status is
# still checked.
#
# Run from anywhere; the case files are named relative to the repository
# root in the messages (tests/errors/NAME.g:LINE:COL: error: ...).
set -u
update=0
if [ "${1:-}" = "--update" ]; then update=1; shift; fi
genc=${1:-build/genc}
case $genc in
/*) ;;
*) genc=$(pwd)/$genc ;;
esac
if [ ! -x "$genc" ]; then
    echo "errors: $genc is not an executable genc" >&2
    exit 2
fi
cd "$(dirname "$0")/.." || exit 2

# A hung compiler is a failure, not a hung test run.
limit=""
command -v timeout > /dev/null 2>&1 && limit="timeout 10"

tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM

pass=0
fail=0
failed=""
for case in tests/errors/*.g; do
    [ -f "$case" ] || continue
    name=${case%.g}
    want=$name.expected
    # `# exit: N` on the first line; LC_ALL=C: some cases are not text
    status=$(LC_ALL=C sed -n '1s/^# *exit: *\([0-9][0-9]*\).*/\1/p' "$case")
    [ -n "$status" ] || status=3
    $limit "$genc" check "$case" > "$tmp/out" 2> "$tmp/err"
    got=$?
    ok=1
    if [ "$got" != "$status" ]; then
        if [ "$got" = 124 ] && [ -n "$limit" ]; then
            echo "errors: $case: genc check did not finish in 10 seconds" >&2
        else
            echo "errors: $case: exit status $got, expected $status" >&2
        fi
        ok=0
    fi
    if [ -s "$tmp/out" ]; then
        echo "errors: $case: genc check wrote to stdout:" >&2
        head -5 "$tmp/out" >&2
        ok=0
    fi
    if [ $update = 1 ]; then
        cp "$tmp/err" "$want"
    elif [ ! -f "$want" ]; then
        echo "errors: $case: no $want (tests/errors.sh --update GENC writes it)" >&2
        ok=0
    elif ! cmp -s "$want" "$tmp/err"; then
        echo "errors: $case: the diagnostics differ from $want:" >&2
        diff -u "$want" "$tmp/err" |
            sed "1s|.*|--- $want (expected)|; 2s|.*|+++ genc check $case (got)|" >&2
        ok=0
    fi
    if [ $ok = 1 ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        failed="$failed $(basename "$case")"
    fi
done

# an .expected file whose case is gone is stale
for want in tests/errors/*.expected; do
    [ -f "$want" ] || continue
    if [ ! -f "${want%.expected}.g" ]; then
        echo "errors: $want has no ${want%.expected}.g" >&2
        fail=$((fail + 1))
        failed="$failed $(basename "$want")"
    fi
done

if [ $update = 1 ]; then
    echo "errors: rewrote the .expected files of $((pass + fail)) cases; review with git diff tests/errors"
fi
if [ $fail != 0 ]; then
    echo "errors: $fail of $((pass + fail)) cases failed:$failed" >&2
    exit 1
fi
[ $update = 1 ] || echo "errors: $pass cases match"
exit 0
