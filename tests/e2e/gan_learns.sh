#!/bin/sh
# A thousand steps of gan_mlp_mnist (seconds) bring its samples much closer
# to real digits: the Frechet distance between a briefly trained judge's
# features of the samples and of the test digits falls below half of an
# untrained generator's (448 -> 152 when written). A generator that does
# not learn fails it (G's learning rate set to 1e-9: 448 after 1,000 steps),
# and one that plays the wrong way (min G: E[log D(G(z))]) moves away: 1678.
# The same for a GAN that uses the toolkit of docs/language.md section 12.
. tests/e2e/common.inc

expect_status 0 "$GENC" run models/classifier_mnist.g --steps 32 --out "$T/c" --quiet --threads 2

# fd_after MODEL STEPS: sets fd to the judge's fd of MODEL's samples after
# STEPS steps
fd_after() {
    expect_status 0 "$GENC" run "$1" --steps "$2" --out "$T/g$2" --quiet --threads 2 --restart
    expect_status 0 "$GENC" eval "$1" --checkpoint "$T/g$2/checkpoint.genc" \
        --judge models/classifier_mnist.g --judge-checkpoint "$T/c/checkpoint.genc" --threads 2
    fd=$(awk -v m="$1" '$1 == m {print $4}' "$T/out")
}

# learns MODEL: its fd after 1,000 steps is below half of its first step's
learns() {
    fd_after "$1" 1; before=$fd
    fd_after "$1" 1000; after=$fd
    echo "$name: $1: fd $before after 1 step, $after after 1,000"
    awk -v a="$before" -v b="$after" 'BEGIN { exit !(a > 0 && b > 0 && b < a / 2) }' ||
        fail "$1: fd went from '$before' to '$after'; want it below half"
}
learns models/gan_mlp_mnist.g
# the same generator with spectral norm in D, the hinge loss, a schedule
# and averaged weights (which draw the samples): 448 -> 139 when written
learns tests/e2e/models/toolkit_gan.g
finish
