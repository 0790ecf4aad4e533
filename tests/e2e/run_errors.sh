#!/bin/sh
# What genc run, sample and eval refuse once the model has compiled: a
# request the model cannot meet, data of the wrong shape or labels, a
# missing checkpoint, a batch too large; each message's exact text and
# exit status (2: the request, 1: the data or the run).
. tests/e2e/common.inc

# a file too large to be a model is refused before it is read
truncate -s 65M "$T/big.g"
expect_status 2 "$GENC" check "$T/big.g"
expect_err "genc: error: $T/big.g is larger than 64 MB; it is not a model file"

# requests that the model cannot meet
expect_status 0 "$GENC" run models/vae_mnist.g --steps 1 --batch 8 --out "$T/v" --quiet
v="--checkpoint $T/v/checkpoint.genc"
expect_status 2 "$GENC" sample models/vae_mnist.g $v --n 10 --grid 2x3 --out "$T/s.png"
expect_err "genc: error: a 2x3 grid holds 6 images, not 10"
expect_status 2 "$GENC" sample models/vae_mnist.g $v --interpolate --grid 11x10 --out "$T/i.png"
expect_err "genc: error: --interpolate draws at most 100 images in rows of 2 or more; --grid 11x10 does not fit"
expect_status 2 "$GENC" sample models/vae_mnist.g --checkpoint "$T/none.genc"
expect_err "genc: error: no checkpoint at $T/none.genc; train first with: genc run models/vae_mnist.g"
# a checkpoint made with another batch resumes only with that batch
expect_status 2 "$GENC" run models/vae_mnist.g --steps 2 --batch 16 --out "$T/v" --resume --quiet
expect_err "genc: error: $T/v/checkpoint.genc was made with 'batch 8', but this run has 'batch 16'; resume with the settings it was made with, or start over with --restart"

expect_status 0 "$GENC" run models/classifier_mnist.g --steps 1 --out "$T/c" --quiet
c="--checkpoint $T/c/checkpoint.genc"
expect_status 2 "$GENC" sample models/classifier_mnist.g $c --out "$T/s.png"
expect_err "genc: error: models/classifier_mnist.g has no 'sample' setting in its train block"
expect_status 2 "$GENC" eval models/classifier_mnist.g $c --judge models/classifier_mnist.g \
    --judge-checkpoint "$T/c/checkpoint.genc"
expect_err "genc: error: models/classifier_mnist.g has no 'sample' setting to judge"

expect_status 0 "$GENC" run models/cgan_mnist.g --steps 1 --out "$T/cg" --quiet
expect_status 2 "$GENC" sample models/cgan_mnist.g --checkpoint "$T/cg/checkpoint.genc" --label 10
expect_err "genc: error: --label must be below 10"

# a model without data cannot be trained or evaluated
cat > "$T/nodata.g" << 'END'
z ~ normal(10)
net G(z: [10]) -> [10] { dense(10) }
min G: E[sum(G(z) * G(z))]
END
expect_status 2 "$GENC" run "$T/nodata.g" --steps 1 --out "$T/nd"
expect_err "genc: error: $T/nodata.g reads no data (it has no 'data' declaration)"
expect_status 2 "$GENC" eval "$T/nodata.g"
expect_err "genc: error: $T/nodata.g reads no data (it has no 'data' declaration)"

# data that does not fit the model: 14x14 images, labels up to 12, fewer
# images than a batch (IDX files: magic, sizes, then the bytes)
be32() { # a number as 4 big-endian bytes
    printf "\\$(printf %03o $(($1 >> 24 & 255)))\\$(printf %03o $(($1 >> 16 & 255)))"
    printf "\\$(printf %03o $(($1 >> 8 & 255)))\\$(printf %03o $(($1 & 255)))"
}
idx() { # idx FILE N [H W]: N black images of HxW, or N labels that are all 12
    if [ $# = 4 ]; then
        { printf '\000\000\010\003'; be32 "$2"; be32 "$3"; be32 "$4"; } > "$1"
        head -c $(($2 * $3 * $4)) /dev/zero >> "$1"
    else
        { printf '\000\000\010\001'; be32 "$2"; } > "$1"
        head -c "$2" /dev/zero | tr '\000' '\014' >> "$1"
    fi
}
mkdir "$T/small" "$T/labels"
for split in train t10k; do
    idx "$T/small/$split-images-idx3-ubyte" 100 14 14
    idx "$T/small/$split-labels-idx1-ubyte" 100
    idx "$T/labels/$split-images-idx3-ubyte" 100 28 28
    idx "$T/labels/$split-labels-idx1-ubyte" 100
done
expect_status 1 "$GENC" run models/gan_mlp_mnist.g --data "$T/small" --steps 1 --out "$T/r" --quiet
expect_err "genc: error: models/gan_mlp_mnist.g: the model's data is [1, 28, 28] per example but the train images are 1x14x14"
expect_status 1 "$GENC" run models/classifier_mnist.g --data "$T/labels" --steps 1 --out "$T/r" --quiet
expect_err "genc: error: models/classifier_mnist.g: labels go up to 12 but the model expects 10 classes"
expect_status 2 "$GENC" run models/gan_mlp_mnist.g --data "$T/labels" --batch 128 --steps 1 --out "$T/r" --quiet
expect_err "genc: error: models/gan_mlp_mnist.g: batch 128 is larger than the 100 training images of mnist"

# values too large for genc's kernels, and class indices that are not
# whole numbers, found when the model runs
cat > "$T/wide.g" << 'END'
data x ~ mnist(train)
net D(x: [1, 28, 28]) -> [1] { flatten -> dense(40000) -> relu -> dense(1) }
min D: E[D(x)]
END
expect_status 1 "$GENC" bench "$T/wide.g" --batch 65536 --steps 1 --warmup 0
expect_err "genc: error: $T/wide.g: the value at $T/wide.g:2:43 has 2621440000 elements at batch 65536, more than genc's limit of 2147483647; use a smaller batch"
cat > "$T/half.g" << 'END'
data x, y ~ mnist(train)
net C(x: [1, 28, 28]) -> [10] { flatten -> dense(10) -> softmax }
min C: E[cross_entropy(C(x), y * 0.5)]
END
expect_status 1 "$GENC" run "$T/half.g" --steps 1 --out "$T/h" --quiet
expect_err "genc: error: $T/half.g:3:10: 28 class indices in the batch are not whole numbers in [0, 10) (onehot)"
finish
