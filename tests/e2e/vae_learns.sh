#!/bin/sh
# A few hundred steps of vae_mnist lower its test loss (nats per image) by a
# wide margin: an untrained decoder gives ~543 nats (784 log 2 minus a
# little), a trained one well under 200.
. tests/e2e/common.inc

expect_status 0 "$GENC" run models/vae_mnist.g --steps 1 --out "$T/a" --quiet
expect_status 0 "$GENC" eval models/vae_mnist.g --checkpoint "$T/a/checkpoint.genc"
before=$(awk '/loss Enc\+Dec/ {print $3}' "$T/out")
expect_status 0 "$GENC" run models/vae_mnist.g --steps 300 --out "$T/b" --quiet
expect_status 0 "$GENC" eval models/vae_mnist.g --checkpoint "$T/b/checkpoint.genc"
after=$(awk '/loss Enc\+Dec/ {print $3}' "$T/out")
echo "$name: test loss $before -> $after nats per image"
awk -v a="$before" -v b="$after" 'BEGIN { exit !(a > 400 && b < 200 && b < a - 200) }' ||
    fail "test loss went from '$before' to '$after'; want above 400 then below 200"
# interpolations between test images' codes: 8 rows of 10 decoded images
expect_status 0 "$GENC" sample models/vae_mnist.g --checkpoint "$T/b/checkpoint.genc" --interpolate --out "$T/i.png"
w=$(od -An -tu1 -j16 -N4 "$T/i.png" | awk '{print $1*16777216 + $2*65536 + $3*256 + $4}')
h=$(od -An -tu1 -j20 -N4 "$T/i.png" | awk '{print $1*16777216 + $2*65536 + $3*256 + $4}')
[ "$w" = $((10 * 84 + 9 * 2)) ] && [ "$h" = $((8 * 84 + 7 * 2)) ] || fail "interpolation grid is ${w}x$h"
finish
