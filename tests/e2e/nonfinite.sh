#!/bin/sh
# A loss that runs off to infinity stops the run at the first bad step with
# a message naming the node, its source line and the phase, and keeps the
# last good checkpoint (of step 1, the last finite one), which still loads.
. tests/e2e/common.inc

model=tests/e2e/models/diverge.g
expect_status 1 "$GENC" run $model --out "$T/r" --checkpoint-every 1 --quiet --threads 2
expect_err "$model:9:11: the loss of phase F is not finite at step 2: the first bad value is %8 = exp"
expect_err "genc: the last good checkpoint is kept: $T/r/checkpoint.genc"
expect_status 0 "$GENC" eval $model --checkpoint "$T/r/checkpoint.genc"
grep -q "loss F" "$T/out" || fail "eval of the kept checkpoint printed no loss"
finish
