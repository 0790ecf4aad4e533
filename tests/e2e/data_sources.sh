#!/bin/sh
# data_sources.sh: genc trains, evaluates and samples from each data source.
# - docs/language.md's idx() example runs, evaluates and reloads its folder.
# - A sample that reads the data (a denoising autoencoder) draws test
#   examples in `genc sample`, never zeros, and different ones per image.
. "$(dirname "$0")/common.inc"
case $GENC in /*) genc=$GENC ;; *) genc=$(pwd)/$GENC ;; esac
[ -f data/mnist/train-images-idx3-ubyte ] || [ -f data/mnist/train-images-idx3-ubyte.gz ] ||
    { fail "data/mnist is missing: run make data"; finish; }
ln -s "$(pwd)/data" "$T/data"

# the idx() example of docs/language.md, as it is written there
awk '$0 == "```g" { on = 1; b = ""; next } on && /^```/ { on = 0; if (b ~ /idx\(/) { printf "%s", b; exit } }
     on { b = b $0 "\n" }' docs/language.md > "$T/idx.g"
grep -q 'idx("data/mnist/"' "$T/idx.g" || fail "docs/language.md has no idx() example"
(cd "$T" && "$genc" run idx.g --steps 20 --quiet) > "$T/out" 2> "$T/err" || fail "idx example: run: $(head -3 "$T/err")"
(cd "$T" && "$genc" eval idx.g) > "$T/out" 2> "$T/err" || fail "idx example: eval: $(head -3 "$T/err")"
grep -q "accuracy" "$T/out" || fail "idx example: eval printed no accuracy: $(head -3 "$T/out")"
# the folder is the model's: another one replaces it, and a missing one is named
expect_status 1 sh -c "cd '$T' && '$genc' eval idx.g --data nowhere"
expect_err "nowhere: no such directory"

# a denoising autoencoder, whose sample reads the data
cat > "$T/dae.g" <<'G'
data x ~ mnist(train)
e ~ normal([1, 28, 28])
net Enc(x: [1, 28, 28]) -> [16] { flatten -> dense(64) -> relu -> dense(16) }
net Dec(h: [16]) -> [1, 28, 28] { dense(64) -> relu -> dense(784) -> sigmoid -> reshape(1, 28, 28) }
min Enc, Dec: E[sum((Dec(Enc(x + 0.3 * e)) - x) ^ 2)]
train {
    batch 32
    sample Dec(Enc(x + 0.3 * e))
}
G
(cd "$T" && "$genc" run dae.g --steps 30 --quiet) 2> "$T/err" || fail "dae: run: $(head -3 "$T/err")"
# idx_images FILE: one line per image of an IDX3 file, its bytes in decimal
idx_images() {
    od -An -v -tu1 -j16 -w784 "$1" | tr -s ' '
}
for what in dae x; do
    set -- --out "$T/$what.idx" --n 8
    [ $what = x ] && set -- "$@" --set 'sample x'
    (cd "$T" && "$genc" sample dae.g "$@") 2> "$T/err" || fail "sample ($what): $(head -3 "$T/err")"
    idx_images "$T/$what.idx" > "$T/$what.txt"
    [ "$(wc -l < "$T/$what.txt")" = 8 ] || fail "sample ($what): not 8 images"
    # every image has ink, and no two are the same
    awk '{ ink = 0; for (i = 1; i <= NF; i++) if ($i > 0) ink++; if (ink < 20) bad++ } END { exit bad > 0 }' "$T/$what.txt" ||
        fail "sample ($what): an image with (almost) no ink: the data was not drawn"
    [ "$(sort -u "$T/$what.txt" | wc -l)" = 8 ] || fail "sample ($what): repeated images"
done
# the test examples, in the seed's order: the same each time
(cd "$T" && "$genc" sample dae.g --out "$T/x2.idx" --n 8 --set 'sample x') 2> "$T/err"
cmp -s "$T/x.idx" "$T/x2.idx" || fail "sample x: not the same examples twice"
finish
