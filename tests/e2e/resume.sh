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

# kill -9 at pseudo-random moments, resuming after each kill
"$GENC" run $model $args --out "$T/k" > /dev/null 2>&1 &
pid=$!
kills=0
for delay in 0.3 0.17 0.41 0.23 0.11 0.37; do
    sleep $delay
    if kill -9 $pid 2> /dev/null; then kills=$((kills + 1)); fi
    wait $pid 2> /dev/null
    if [ -f "$T/k/checkpoint.genc" ]; then
        "$GENC" run $model $args --out "$T/k" --resume > /dev/null 2>&1 &
    else
        "$GENC" run $model $args --out "$T/k" > /dev/null 2>&1 &
    fi
    pid=$!
done
wait $pid || fail "the last resumed run failed"
echo "$name: killed $kills times"
same_run "$T/ref/checkpoint.genc" "$T/k/checkpoint.genc" || fail "killed and resumed run differs from the uninterrupted one"
rows=$(tail -n +2 "$T/k/log.csv" | wc -l)
[ "$rows" = $steps ] || fail "resumed log.csv has $rows rows, want $steps"

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
