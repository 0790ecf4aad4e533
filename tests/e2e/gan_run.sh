#!/bin/sh
# A short gan_mlp_mnist run writes PNG sample grids of the right size, a
# well-formed log.csv and a checkpoint; genc sample and genc eval use it.
. tests/e2e/common.inc

expect_status 0 "$GENC" run models/gan_mlp_mnist.g --epochs 2 --steps 200 --out "$T/run" --quiet --threads 2

# PNG: signature, then IHDR width and height (big-endian at bytes 16..23).
# 8x8 tiles of 28x28 pixels upscaled 3x, with 2-pixel borders between them.
want=$((8 * 28 * 3 + 7 * 2))
for png in "$T/run/samples/epoch_001.png" "$T/run/final.png"; do
    [ -f "$png" ] || { fail "$png missing"; continue; }
    sig=$(od -An -tx1 -N8 "$png" | tr -d ' \n')
    [ "$sig" = "89504e470d0a1a0a" ] || fail "$png: not a PNG (signature $sig)"
    w=$(od -An -tu1 -j16 -N4 "$png" | awk '{print $1*16777216 + $2*65536 + $3*256 + $4}')
    h=$(od -An -tu1 -j20 -N4 "$png" | awk '{print $1*16777216 + $2*65536 + $3*256 + $4}')
    [ "$w" = "$want" ] && [ "$h" = "$want" ] || fail "$png is ${w}x$h, want ${want}x$want"
done
[ ! -f "$T/run/samples/epoch_002.png" ] || fail "epoch 2 did not finish (200 steps), yet it has a grid"

# log.csv: a header and one row per step, every field a number
log="$T/run/log.csv"
head -1 "$log" | grep -qx 'step,epoch,loss_D,loss_G,images_per_s,wall_s' || fail "log.csv header: $(head -1 "$log")"
rows=$(tail -n +2 "$log" | wc -l)
[ "$rows" = 200 ] || fail "log.csv has $rows rows, want 200"
bad=$(tail -n +2 "$log" | awk -F, 'NF != 6 || $1 !~ /^[0-9]+$/ || $3 !~ /^-?[0-9.e+-]+$/ || $4 !~ /^-?[0-9.e+-]+$/ {n++} END {print n+0}')
[ "$bad" = 0 ] || fail "log.csv has $bad malformed rows"
last=$(tail -1 "$log" | cut -d, -f1,2)
[ "$last" = "200,2" ] || fail "last log row is step,epoch $last, want 200,2"

# sample: a grid and an IDX file of the requested size
expect_status 0 "$GENC" sample models/gan_mlp_mnist.g --checkpoint "$T/run/checkpoint.genc" --n 10 --out "$T/s.idx"
size=$(wc -c < "$T/s.idx")
[ "$size" = $((16 + 10 * 28 * 28)) ] || fail "s.idx is $size bytes, want $((16 + 10 * 784))"
expect_status 0 "$GENC" sample models/gan_mlp_mnist.g --checkpoint "$T/run/checkpoint.genc" --grid 2x3 --out "$T/s.png"
[ -f "$T/s.png" ] || fail "sample --grid wrote no PNG"
expect_status 2 "$GENC" sample models/gan_mlp_mnist.g --checkpoint "$T/run/checkpoint.genc" --label 3
expect_err "--label: models/gan_mlp_mnist.g is not a conditional model"
expect_status 2 "$GENC" sample models/gan_mlp_mnist.g --checkpoint "$T/run/checkpoint.genc" --interpolate
expect_err "--interpolate: models/gan_mlp_mnist.g has no 'encode' setting"
finish
