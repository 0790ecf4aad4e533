#!/bin/sh
# merge.sh FUZZER CORPUS [MORE_DIRS...]: minimises the committed corpus
# CORPUS (tests/fuzz/corpus/NAME) together with the inputs in MORE_DIRS
# (what `make fuzz` found, new seeds; missing ones are skipped), with
# libFuzzer's -merge=1: the result is the smallest set of inputs that
# keeps all the coverage. Files named regression-* (inputs that once
# found a bug) are kept whatever they cover, under their names; the rest
# get libFuzzer's names (a SHA-1 of the content). CORPUS is replaced only
# when the merge succeeds.
set -eu
fuzzer=$1
corpus=$2
shift 2
new=$(mktemp -d "${TMPDIR:-/tmp}/genc-merge.XXXXXX")
trap 'rm -rf "$new"' EXIT INT TERM
mkdir "$new/out"
for f in "$corpus"/regression-*; do
    [ -f "$f" ] && cp "$f" "$new/out/"
done
dirs=$corpus
for d in "$@"; do
    [ -d "$d" ] && dirs="$dirs $d"
done
before=$(find "$corpus" -type f | wc -l)
# shellcheck disable=SC2086 # $dirs: directory names without spaces
nice -n 19 "$fuzzer" -merge=1 -timeout=30 "$new/out" $dirs 2> "$new/log" || {
    tail -20 "$new/log" >&2
    echo "merge: $fuzzer failed; $corpus is unchanged" >&2
    exit 1
}
rm -rf "$corpus"
mkdir -p "$corpus"
cp "$new/out"/* "$corpus/"
echo "merge: $corpus: $before files before, $(find "$corpus" -type f | wc -l) after" \
    "($(du -sk "$corpus" | cut -f1) KB)"
