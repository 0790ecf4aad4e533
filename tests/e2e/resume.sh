#!/bin/sh
# Checkpoints and resume. A run killed with SIGKILL at random moments
# (checkpointing after every step, so kills land inside checkpoint writes
# too) and resumed each time ends with a checkpoint byte-identical to an
# uninterrupted run of the same seed: parameters, batchnorm statistics,
# optimizer state, noise generator and step. Same seed, same result; another
# seed, another. A corrupted, truncated or foreign checkpoint is refused.
. tests/e2e/common.inc

model=models/cgan_mnist.g   # dropout, batchnorm, embedding, categorical noise
steps=40
args="--steps $steps --threads 2 --quiet --checkpoint-every 1"

expect_status 0 "$GENC" run $model $args --out "$T/ref"
expect_status 0 "$GENC" run $model $args --out "$T/same"
same_run "$T/ref/checkpoint.genc" "$T/same/checkpoint.genc" || fail "two runs with seed 1 differ"
expect_status 0 "$GENC" run $model $args --out "$T/other" --seed 2
same_run "$T/ref/checkpoint.genc" "$T/other/checkpoint.genc" && fail "seeds 1 and 2 gave the same run"

# kill_and_resume DIR [SETTINGS...]: a run killed with -9 at
# pseudo-random moments and resumed after each kill; the caller compares
# its checkpoint with an uninterrupted run of the same settings
kill_and_resume() {
    what=$1
    dir="$T/$1"
    shift
    "$GENC" run $model $args --out "$dir" "$@" > /dev/null 2>&1 &
    pid=$!
    kills=0
    for delay in 0.3 0.17 0.41 0.23 0.11 0.37; do
        sleep $delay
        if kill -9 $pid 2> /dev/null; then kills=$((kills + 1)); fi
        wait $pid 2> /dev/null
        if [ -f "$dir/checkpoint.genc" ]; then
            "$GENC" run $model $args --out "$dir" --resume > /dev/null 2>&1 &
        else
            "$GENC" run $model $args --out "$dir" "$@" > /dev/null 2>&1 &
        fi
        pid=$!
    done
    wait $pid || fail "the last resumed run of $what failed"
    echo "$name: $what killed $kills times"
    rows=$(tail -n +2 "$dir/log.csv" | wc -l)
    [ "$rows" = $steps ] || fail "$what: resumed log.csv has $rows rows, want $steps"
}

kill_and_resume k
same_run "$T/ref/checkpoint.genc" "$T/k/checkpoint.genc" || fail "killed and resumed run differs from the uninterrupted one"

# the same with the averages of G's weights and schedules (a learning rate
# with a warm-up, one decaying in steps) running: they continue exactly too,
# across an epoch's end (140 steps), whose grid the averages draw after
# recomputing batchnorm's statistics, which must leave the run as it was
steps=150
args="--steps $steps --threads 2 --quiet --checkpoint-every 1"
expect_status 0 "$GENC" run $model $args --out "$T/ref_ema" --set 'ema G: 0.9' --set 'ema_start 7' \
    --set 'lr G: cosine(2e-4, 0, warmup: 5)' --set 'lr D: step_decay(2e-4, 0.5, steps: 9)'
kill_and_resume k_ema --set 'ema G: 0.9' --set 'ema_start 7' \
    --set 'lr G: cosine(2e-4, 0, warmup: 5)' --set 'lr D: step_decay(2e-4, 0.5, steps: 9)'
same_run "$T/ref_ema/checkpoint.genc" "$T/k_ema/checkpoint.genc" || fail "killed and resumed run with ema and schedules differs"
head -1 "$T/k_ema/log.csv" | grep -q ',lr_G,lr_D,' || fail "log.csv has no columns lr_G and lr_D: $(head -1 "$T/k_ema/log.csv")"
# step 10 (t = 9): D's rate halved once; G's past its warm-up, on the cosine
row=$(sed -n 11p "$T/k_ema/log.csv")
echo "$row" | grep -q ',0\.0001,' || fail "log.csv step 10 has no lr_D 0.0001: $row"
[ -f "$T/k_ema/samples/epoch_001.png" ] || fail "the run with ema wrote no grid at its epoch's end"
# the averages differ from the weights, and sample draws them unless told not to
expect_status 0 "$GENC" sample $model --checkpoint "$T/k_ema/checkpoint.genc" --out "$T/avg.png"
expect_status 0 "$GENC" sample $model --checkpoint "$T/k_ema/checkpoint.genc" --out "$T/raw.png" --raw-weights
cmp -s "$T/avg.png" "$T/raw.png" && fail "samples of the averaged and the raw weights are the same"
steps=40
args="--steps $steps --threads 2 --quiet --checkpoint-every 1"

# Ctrl-C: the current step finishes, a checkpoint is written, exit 130,
# and the command that continues is the whole command line
"$GENC" run $model --steps $steps --threads 2 --out "$T/int" > "$T/out" 2> "$T/err" &
pid=$!
# as soon as training starts: 40 steps take under half a second
for i in $(seq 3000); do grep -q "^genc: training" "$T/err" 2> /dev/null && break; sleep 0.01; done
kill -INT $pid
wait $pid
code=$?
[ $code = 130 ] || fail "Ctrl-C: exit status $code, want 130"
expect_err "genc: stopped by SIGINT at step"
expect_err "genc: continue with: $GENC run $model --steps $steps --threads 2 --out $T/int --resume"
expect_status 0 "$GENC" run $model $args --out "$T/int" --resume
same_run "$T/ref/checkpoint.genc" "$T/int/checkpoint.genc" || fail "interrupted by Ctrl-C and resumed differs"

# a resumed run continues where the checkpoint left off
expect_status 0 "$GENC" run $model --steps 20 --threads 2 --quiet --out "$T/half"
expect_status 0 "$GENC" run $model $args --out "$T/half" --resume
same_run "$T/ref/checkpoint.genc" "$T/half/checkpoint.genc" || fail "20 steps + resume to 40 differ from 40 steps"

# bad checkpoints are refused, naming the file and the problem
ck="$T/bad/checkpoint.genc"
mkdir -p "$T/bad" && cp "$T/ref/checkpoint.genc" "$ck"
printf '\377' | dd of="$ck" bs=1 seek=1000 conv=notrunc 2> /dev/null
expect_status 1 "$GENC" run $model $args --out "$T/bad" --resume
expect_err "$ck: corrupted"
head -c 5000 "$T/ref/checkpoint.genc" > "$ck"
expect_status 1 "$GENC" run $model $args --out "$T/bad" --resume
expect_err "$ck: truncated"
expect_status 1 "$GENC" sample models/gan_mlp_mnist.g --checkpoint "$T/ref/checkpoint.genc" --out "$T/x.png"
expect_err "was written for a different model"
expect_status 2 "$GENC" run $model $args --out "$T/none" --resume
expect_err "--resume: there is no checkpoint at $T/none/checkpoint.genc"
finish
