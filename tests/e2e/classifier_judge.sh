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
# the reference figures (the name column widens for a long model path)
real_line=$(grep "real training images" "$T/out" | tr -s " ")
(cd "$T" && "$genc_abs" eval "$root/models/gan_mlp_mnist.g" --checkpoint "$T/g/checkpoint.genc" \
    --judge "$root/models/classifier_mnist.g" --judge-checkpoint "$T/c/checkpoint.genc" \
    --data "$root/data/mnist" > "$T/out2" 2> "$T/err2") ||
    fail "eval --judge --data from another directory: $(head -3 "$T/err2")"
[ "$(grep 'real training images' "$T/out2" | tr -s ' ')" = "$real_line" ] ||
    fail "eval --judge --data read other real digits: $(cat "$T/out2")"

# --images judges an IDX file of images. The first 1,000 test digits are the
# reference set itself: fd 0. The same 1,000 samples as --judge judged, written to a
# file as bytes, score the same up to that rounding.
expect_status 0 "$GENC" eval models/classifier_mnist.g --checkpoint "$T/c/checkpoint.genc" \
    --images data/mnist/t10k-images-idx3-ubyte
test_fd=$(awk '/t10k-images/ {print $4}' "$T/out")
[ "$test_fd" = "0.00" ] || fail "--images of the test digits themselves: fd $test_fd, want 0.00"
expect_status 0 "$GENC" sample models/gan_mlp_mnist.g --checkpoint "$T/g/checkpoint.genc" --n 1000 \
    --grid 10x100 --out "$T/s.idx"
expect_status 0 "$GENC" eval models/classifier_mnist.g --checkpoint "$T/c/checkpoint.genc" --images "$T/s.idx"
[ "$(grep 'real training images' "$T/out" | tr -s ' ')" = "$real_line" ] ||
    fail "--images: another reference line: $(cat "$T/out")"
file_fd=$(awk '/s.idx/ {print $4}' "$T/out")
echo "$name: --judge fd $gen_fd, the same samples from a file $file_fd"
awk -v f="$file_fd" -v g="$gen_fd" 'BEGIN { d = f - g; exit !(d < 0.01 * g && -d < 0.01 * g) }' ||
    fail "--images of --judge's own samples: fd $file_fd, --judge's $gen_fd"

# a "label" column only for a model whose code is the data's label: cgan,
# not a GAN whose categorical code is plain noise
expect_status 0 "$GENC" run models/cgan_mnist.g --steps 1 --out "$T/cg" --quiet
expect_status 0 "$GENC" eval models/cgan_mnist.g --checkpoint "$T/cg/checkpoint.genc" \
    --judge models/classifier_mnist.g --judge-checkpoint "$T/c/checkpoint.genc"
grep -q 'fd     label$' "$T/out" || fail "cgan judged without a label column: $(cat "$T/out")"
expect_status 0 "$GENC" run tests/e2e/models/code_gan.g --steps 1 --out "$T/code" --quiet
expect_status 0 "$GENC" eval tests/e2e/models/code_gan.g --checkpoint "$T/code/checkpoint.genc" \
    --judge models/classifier_mnist.g --judge-checkpoint "$T/c/checkpoint.genc"
grep -q 'label' "$T/out" && fail "an unsupervised code judged for label agreement: $(cat "$T/out")"
grep -q 'code_gan.g' "$T/out" || fail "code_gan.g not judged: $(cat "$T/out")"
# but for agreement once its values are matched to the classes, one to one
grep -q 'fd      code$' "$T/out" || fail "an unsupervised code judged without a code column: $(cat "$T/out")"
match=$(sed -n 's/^code: .*classes://p' "$T/out")
classes=$(echo "$match" | tr ' ' '\n' | sed -n 's/^[0-9]->//p' | sort -n | tr '\n' ' ')
[ "$classes" = "0 1 2 3 4 5 6 7 8 9 " ] || fail "the code's matching is not one to one: '$match'"

# --images errors name the file and the problem
printf '\000\000\010\003\000\000\000\012\000\000\000\034\000\000\000\034' > "$T/few.idx"
head -c 7840 /dev/zero >> "$T/few.idx"
expect_status 1 "$GENC" eval models/classifier_mnist.g --checkpoint "$T/c/checkpoint.genc" --images "$T/few.idx"
expect_err "genc: error: $T/few.idx: 10 images; judging needs 1000"
expect_status 1 "$GENC" eval models/classifier_mnist.g --checkpoint "$T/c/checkpoint.genc" \
    --images data/mnist/t10k-labels-idx1-ubyte
expect_err "genc: error: data/mnist/t10k-labels-idx1-ubyte: an IDX file of rank 1, not images (rank 3 or 4)"
printf '\000\000\010\003\000\000\003\350\000\000\000\016\000\000\000\016' > "$T/small.idx"
head -c 196000 /dev/zero >> "$T/small.idx"
expect_status 1 "$GENC" eval models/classifier_mnist.g --checkpoint "$T/c/checkpoint.genc" --images "$T/small.idx"
expect_err "genc: error: $T/small.idx: images of [1, 14, 14], but models/classifier_mnist.g reads [1, 28, 28]"
expect_status 1 "$GENC" eval models/classifier_mnist.g --checkpoint "$T/c/checkpoint.genc" --images "$T/none.idx"
expect_err "genc: error: $T/none.idx: cannot open: No such file or directory"
expect_status 2 "$GENC" eval models/gan_mlp_mnist.g --checkpoint "$T/g/checkpoint.genc" --images "$T/s.idx"
expect_err "genc: error: --images: models/gan_mlp_mnist.g is not a classifier (its objective has no cross_entropy of a net ending in dense -> softmax)"
expect_status 2 "$GENC" eval models/classifier_mnist.g --images "$T/s.idx" --judge models/classifier_mnist.g
expect_err "genc: --images makes models/classifier_mnist.g the judge; drop --judge and --judge-checkpoint"
finish
