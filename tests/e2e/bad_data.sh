#!/bin/sh
# Bad data is refused with a message naming the file and the problem:
# a truncated IDX file, images and labels that disagree, a missing folder.
. tests/e2e/common.inc

mkdir -p "$T/d"
cp data/mnist/* "$T/d/"
head -c 100000 data/mnist/train-images-idx3-ubyte > "$T/d/train-images-idx3-ubyte"
expect_status 1 "$GENC" run models/gan_mlp_mnist.g --data "$T/d" --steps 1 --out "$T/r" --quiet
expect_err "$T/d/train-images-idx3-ubyte: truncated: header says 9000 images of 28x28 (7056000 bytes) but only 99984 follow the header"

cp data/mnist/* "$T/d/"
head -c 1008 data/mnist/t10k-labels-idx1-ubyte > "$T/d/train-labels-idx1-ubyte"
printf '\000\000\010\001\000\000\003\350' | dd of="$T/d/train-labels-idx1-ubyte" conv=notrunc 2> /dev/null
expect_status 1 "$GENC" run models/gan_mlp_mnist.g --data "$T/d" --steps 1 --out "$T/r" --quiet
expect_err "has 9000 images but"
expect_err "has 1000 labels"

expect_status 1 "$GENC" run models/gan_mlp_mnist.g --data "$T/nowhere" --steps 1 --out "$T/r" --quiet
expect_err "$T/nowhere"
finish
