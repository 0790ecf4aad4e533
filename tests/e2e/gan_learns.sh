#!/bin/sh
# A thousand steps of gan_mlp_mnist (seconds) bring its samples much closer
# to real digits: the Frechet distance between a briefly trained judge's
# features of the samples and of the test digits falls below half of an
# untrained generator's (448 -> 152 when written). A generator that does
# not learn fails it (G's learning rate set to 1e-9: 448 after 1,000 steps),
# and one that plays the wrong way (min G: E[log D(G(z))]) moves away: 1678.
. tests/e2e/common.inc

expect_status 0 "$GENC" run models/classifier_mnist.g --steps 32 --out "$T/c" --quiet --threads 2

# fd_after STEPS: sets fd to the judge's fd of gan_mlp_mnist's samples
# after STEPS steps
fd_after() {
    expect_status 0 "$GENC" run models/gan_mlp_mnist.g --steps "$1" --out "$T/g$1" --quiet --threads 2
    expect_status 0 "$GENC" eval models/gan_mlp_mnist.g --checkpoint "$T/g$1/checkpoint.genc" \
        --judge models/classifier_mnist.g --judge-checkpoint "$T/c/checkpoint.genc" --threads 2
    fd=$(awk '/models\/gan_mlp_mnist.g/ {print $4}' "$T/out")
}
fd_after 1; before=$fd
fd_after 1000; after=$fd
echo "$name: fd $before after 1 step, $after after 1,000"
awk -v a="$before" -v b="$after" 'BEGIN { exit !(a > 0 && b > 0 && b < a / 2) }' ||
    fail "fd went from '$before' to '$after'; want it below half"
finish
