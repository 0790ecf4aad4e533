#!/bin/sh
# legacy.sh: checkpoints written by genc 0.1.0, before the op table was
# rebuilt (other op numbers in its model hash, batchnorm's statistics in a
# section named "batchnorm"), still load: they sample and evaluate exactly
# as 0.1.0 did, and a run resumed from one continues exactly as 0.1.0's
# did. tests/e2e/legacy/ holds two small models that use most layers and
# functions, their checkpoints after 30 steps, and what 0.1.0 printed and
# wrote from them (8 samples as IDX bytes, the evaluation, 8 samples after
# 10 more steps). One thread: the figures are bit for bit.
. "$(dirname "$0")/common.inc"
L=tests/e2e/legacy
for m in legacy_gan legacy_vae; do
    expect_status 0 "$GENC" sample $L/$m.g --checkpoint $L/$m.genc --n 8 --out "$T/$m.idx" --threads 1
    cmp -s "$T/$m.idx" $L/$m.sample.idx || fail "$m: the samples of 0.1.0's checkpoint differ"
    expect_status 0 "$GENC" eval $L/$m.g --checkpoint $L/$m.genc --threads 1
    cmp -s "$T/out" $L/$m.eval || fail "$m: the evaluation differs: $(cat "$T/out")"
    mkdir -p "$T/$m"
    cp $L/$m.genc "$T/$m/checkpoint.genc"
    expect_status 0 "$GENC" run $L/$m.g --resume --steps 40 --out "$T/$m" --quiet --threads 1
    expect_status 0 "$GENC" sample $L/$m.g --checkpoint "$T/$m/checkpoint.genc" --n 8 \
        --out "$T/$m.resumed.idx" --threads 1
    cmp -s "$T/$m.resumed.idx" $L/$m.resumed.idx || fail "$m: resumed from 0.1.0's checkpoint, it trains otherwise"
    # the resumed run's checkpoint is of this genc: the new hash, a state section
    grep -q state "$T/$m/checkpoint.genc" || fail "$m: the new checkpoint has no state section"
done
finish
