#!/bin/sh
# The classifier learns: after one pass over 2,048 digits its test accuracy
# is far above chance (0.1). As a judge, it finds real training digits
# covering all classes and far closer to the test digits (Frechet distance
# of its features) than the noise of an untrained generator.
. tests/e2e/common.inc

expect_status 0 "$GENC" run models/classifier_mnist.g --steps 32 --out "$T/c" --quiet --threads 2
expect_status 0 "$GENC" eval models/classifier_mnist.g --checkpoint "$T/c/checkpoint.genc"
acc=$(awk '/accuracy/ {print $2}' "$T/out")
echo "$name: accuracy after 2,048 digits: $acc"
awk -v a="$acc" 'BEGIN { exit !(a >= 0.7) }' || fail "accuracy $acc after one pass over 2,048 digits, want >= 0.7"

expect_status 0 "$GENC" run models/gan_mlp_mnist.g --steps 1 --out "$T/g" --quiet
expect_status 0 "$GENC" eval models/gan_mlp_mnist.g --checkpoint "$T/g/checkpoint.genc" \
    --judge models/classifier_mnist.g --judge-checkpoint "$T/c/checkpoint.genc"
cat "$T/out"
gen_fd=$(awk '/models\/gan_mlp_mnist.g/ {print $4}' "$T/out")
real_cov=$(awk '/real training images/ {print $5}' "$T/out")
real_fd=$(awk '/real training images/ {print $6}' "$T/out")
awk -v c="$real_cov" 'BEGIN { exit !(c >= 0.95) }' || fail "real digits' coverage $real_cov, want >= 0.95"
awk -v r="$real_fd" -v g="$gen_fd" 'BEGIN { exit !(r * 5 < g) }' ||
    fail "real digits' fd $real_fd is not far below an untrained generator's $gen_fd"

# --data tells the judge where the real digits are: run from elsewhere, the
# default data/mnist does not exist, and the reference line is the same.
root=$(pwd); genc_abs=$(cd "$(dirname "$GENC")" && pwd)/$(basename "$GENC")
real_line=$(grep 'real training images' "$T/out")
(cd "$T" && "$genc_abs" eval "$root/models/gan_mlp_mnist.g" --checkpoint "$T/g/checkpoint.genc" \
    --judge "$root/models/classifier_mnist.g" --judge-checkpoint "$T/c/checkpoint.genc" \
    --data "$root/data/mnist" > "$T/out2" 2> "$T/err2") ||
    fail "eval --judge --data from another directory: $(head -3 "$T/err2")"
[ "$(grep 'real training images' "$T/out2")" = "$real_line" ] ||
    fail "eval --judge --data read other real digits: $(cat "$T/out2")"
finish
