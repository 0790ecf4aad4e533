#!/bin/sh
# docs.sh: the docs show what genc really does.
# - Every ```g block of README.md and docs/language.md compiles without a
#   message, and language.md's ```g-error block prints exactly the ```text
#   block after it.
# - The attention, residual and minibatch-std blocks that language.md shows
#   are the shipped models' own, letter for letter.
# - docs/tutorial.md's model is written out from its first ```g block,
#   fixed with its second, and the compile-time commands the tutorial shows
#   (check with its two errors, check of the fixed file, graph --stats)
#   print exactly the text and exit status shown there. Training, sampling
#   and judging print times and speeds, so they are not compared.
. "$(dirname "$0")/common.inc"
case $GENC in /*) genc=$GENC ;; *) genc=$(pwd)/$GENC ;; esac

# gblock DOC KIND N: the N-th ```KIND block of DOC
gblock() {
    awk -v kind="$2" -v k="$3" '$0 == "```" kind { n++; inside = 1; next } /^```/ { inside = 0 } inside && n == k' "$1"
}

for doc in README.md docs/language.md; do
    n=$(grep -c '^```g$' "$doc")
    [ "$n" -gt 0 ] || fail "$doc has no g block"
    i=1
    while [ $i -le "$n" ]; do
        gblock "$doc" g $i > "$T/block.g"
        expect_status 0 "$genc" check "$T/block.g"
        [ -s "$T/err" ] && fail "$doc's g block $i: $(head -3 "$T/err")"
        i=$((i + 1))
    done
done
doc=docs/language.md
gblock "$doc" g-error 1 > "$T/bad.g"
awk '/^```g-error$/ { on = 1 } on && /^```text$/ { f = 1; next } f && /^```/ { exit } f' "$doc" > "$T/want"
(cd "$T" && "$genc" check bad.g) > "$T/got" 2>&1
got=$?
[ $got = 3 ] || fail "$doc's g-error block: genc check exited $got, want 3"
cmp -s "$T/want" "$T/got" || fail "$doc's g-error block prints otherwise: $(diff "$T/want" "$T/got" | head -8)"

# The blocks docs/language.md shows as a shipped model's are that model's,
# letter for letter: from "block NAME" to the first line that is "}".
block_text() {
    awk -v name="$2" 'index($0, "block " name "(") == 1 { on = 1 } on { print } on && /^}/ { exit }' "$1"
}
for pair in sagan_mnist:attention resnet_gan_mnist:down resnet_gan_mnist:up resnet_gan_mnist:mbstd; do
    model=models/${pair%%:*}.g blk=${pair#*:}
    block_text "$model" "$blk" > "$T/model_block"
    block_text "$doc" "$blk" > "$T/doc_block"
    [ -s "$T/model_block" ] || fail "$model has no block $blk"
    cmp -s "$T/model_block" "$T/doc_block" ||
        fail "$doc's block $blk is not $model's: $(diff "$T/doc_block" "$T/model_block" | head -6)"
done

doc=docs/tutorial.md

# shown CMD K: the lines the tutorial shows after the K-th "$ CMD"
shown() {
    awk -v cmd="\$ $1" -v k="$2" '
        $0 == cmd { n++; if (n == k) { on = 1; next } }
        on && (/^\$ / || /^```/) { exit }
        on' "$doc"
}

# same ARGS K: `genc ARGS` run in $T prints what the tutorial shows after
# its K-th "$ ./genc ARGS", and exits with the status shown by the
# "$ echo $?" right after it, if there is one
same() {
    shown "./genc $1" "$2" > "$T/want"
    # shellcheck disable=SC2086
    (cd "$T" && "$genc" $1) > "$T/got" 2>&1
    got=$?
    cmp -s "$T/want" "$T/got" ||
        fail "'genc $1' (shown $2. in the tutorial) prints otherwise: $(diff "$T/want" "$T/got" | head -8)"
    want=$(awk -v cmd="\$ ./genc $1" -v k="$2" '
        on && /^\$ / { if ($0 == "$ echo $?") { getline; print }; exit }
        $0 == cmd && ++n == k { on = 1 }' "$doc")
    [ -z "$want" ] || [ "$want" = "$got" ] || fail "'genc $1' (shown $2. in the tutorial) exited $got, the tutorial says $want"
}

gblock "$doc" g 1 > "$T/my_gan.g"
grep -q '^net D' "$T/my_gan.g" || fail "no model in $doc's first g block"
same "check my_gan.g" 1

# the fixed file: the first block with its nets replaced by the second's
gblock "$doc" g 2 > "$T/nets"
awk -v nets="$T/nets" '
    /^net G/ { skip = 1; while ((getline l < nets) > 0) print l }
    skip && /^}/ { closed++; if (closed == 2) skip = 0; next }
    !skip' "$T/my_gan.g" > "$T/fixed.g"
mv "$T/fixed.g" "$T/my_gan.g"
same "check my_gan.g" 2
same "graph my_gan.g --stats" 1
finish
