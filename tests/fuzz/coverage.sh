#!/bin/sh
# coverage.sh DIR NAME...: which code of each harness no input reaches.
#
# For each NAME, runs DIR/replay_NAME (the replay driver built by make
# fuzz-coverage with clang's source-based coverage) over the committed
# corpus tests/fuzz/corpus/NAME/ and, when it exists, build-fuzz/corpus/NAME/
# (what fuzzing found since the last merge), then prints llvm-cov's
# per-file report for the code that reads the user's bytes. That is how to
# tell whether more fuzzing can still reach something: libFuzzer's edge
# count keeps rising on new combinations of code already covered, a line
# report does not. The lines no input reaches:
#     llvm-cov show DIR/replay_NAME -instr-profile=DIR/NAME.profdata FILE
# Run from the repository root (make fuzz-coverage does).
set -eu
dir=$1
shift
for name in "$@"; do
    # the front end is whole files; the readers are a few functions in
    # files that also write, so theirs are listed function by function
    case $name in
    frontend) files="grammar/*.c runtime/ir/graph.c runtime/passes/autodiff.c" by="" ;;
    idx) files="runtime/io/data.c" by="-show-functions" ;;
    checkpoint) files="runtime/io/checkpoint.c" by="-show-functions" ;;
    *) echo "coverage: no sources listed for harness '$name'" >&2; exit 2 ;;
    esac
    corpora="tests/fuzz/corpus/$name"
    [ -d "build-fuzz/corpus/$name" ] && corpora="$corpora build-fuzz/corpus/$name"
    rm -f "$dir/$name".profraw
    # shellcheck disable=SC2086
    LLVM_PROFILE_FILE="$dir/$name.profraw" "$dir/replay_$name" $corpora >/dev/null
    llvm-profdata merge -o "$dir/$name.profdata" "$dir/$name.profraw"
    echo "== $name ($corpora)"
    # the line columns: 8-10 of a file's row, 5-7 of a function's
    # shellcheck disable=SC2086
    llvm-cov report "$dir/replay_$name" -instr-profile="$dir/$name.profdata" $by $files |
        awk -v root="$(pwd)/" -v by="$by" '
            BEGIN { print (by == "" ? "file" : "function"), "lines missed covered" }
            by == "" && $1 ~ /\.c$|^TOTAL$/ { sub(root, "", $1); print $1, $8, $9, $10 }
            by != "" && NF == 10 && $2 ~ /^[0-9]+$/ { print $1, $5, $6, $7 }' |
        column -t
done
