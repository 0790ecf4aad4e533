#!/bin/sh
# Faults a run survives with nothing lost:
# - a file-size limit (ulimit -f, the shell's "disk full") when a
#   checkpoint is written: a clear message, exit 1, the previous checkpoint
#   intact and still resumable; when log.csv is written, or rewritten on
#   resume: a clear message, exit 1, the log as it was;
# - a memory limit (ulimit -v) the model cannot fit, or that leaves no
#   room for OpenBLAS's buffers: refused before training, with the memory
#   it needs, not a crash or a hang; and any limit just short of what a
#   run needs: a message, not a crash.
. tests/e2e/common.inc

model=models/gan_mlp_mnist.g
expect_status 0 "$GENC" run $model --steps 30 --out "$T/r" --quiet --threads 2
cp "$T/r/checkpoint.genc" "$T/saved.genc"
# 512 KB files at most: the log fits, a 2.6 MB checkpoint does not
(ulimit -f 512; "$GENC" run $model --steps 60 --checkpoint-every 10 --out "$T/r" --resume --quiet --threads 2) \
    > "$T/out" 2> "$T/err"
[ $? = 1 ] || fail "a checkpoint that cannot be written did not exit 1"
expect_err "$T/r/checkpoint.genc"
expect_err "File too large"
expect_err "the previous checkpoint is kept"
cmp -s "$T/r/checkpoint.genc" "$T/saved.genc" || fail "the previous checkpoint changed"
[ ! -e "$T/r/checkpoint.genc.tmp" ] || fail "a temporary checkpoint was left behind"
expect_status 0 "$GENC" run $model --steps 40 --out "$T/r" --resume --quiet --threads 2

# The other files a run writes, under the same limits (stderr goes through
# a pipe, which the limit does not cover, unlike the files $T/err would be)
# limited_run KB ARGS: `genc run $model ARGS` under ulimit -f KB; its
# messages and then "status N" in $T/err
limited_run() {
    kb=$1; shift
    # shellcheck disable=SC2086
    (ulimit -f "$kb"; "$GENC" run $model "$@" --quiet --threads 2; echo "status $?") 2>&1 | cat > "$T/err"
}
# log_refused DIR WHAT: $T/err says DIR/log.csv could not be written, and
# the status was 1
log_refused() {
    printf 'genc: error: cannot write %s/log.csv: File too large (over the file size limit, see ulimit -f)\nstatus 1\n' \
        "$1" > "$T/want"
    cmp -s "$T/err" "$T/want" || fail "$2: $(cat "$T/err")"
}
# nothing can be written (a full disk): log.csv's header, written before
# the first step, fails, which ends the run (writing log.csv used to kill
# genc with SIGXFSZ and no word)
limited_run 0 --steps 3 --out "$T/z"
log_refused "$T/z" "nothing writable"
[ ! -e "$T/z/log.csv.tmp" ] || fail "nothing writable: a temporary log was left behind"
# a checkpoint that cannot be written ends a run that has written its log
limited_run 2 --steps 3 --out "$T/y"
printf 'genc: error: %s/checkpoint.genc: checkpoint not saved: cannot write %s/checkpoint.genc.tmp: File too large (over the file size limit, see ulimit -f)\nstatus 1\n' \
    "$T/y" "$T/y" > "$T/want"
cmp -s "$T/err" "$T/want" || fail "no room for a checkpoint: $(cat "$T/err")"
[ ! -e "$T/y/checkpoint.genc.tmp" ] || fail "no room for a checkpoint: a temporary checkpoint was left behind"
# a resumed run rewrites log.csv without the rows after its checkpoint:
# when the rewrite cannot be written (1 KB; the log is about 2 KB), the log
# stays as it was (it used to be cut to the limit)
cp "$T/r/log.csv" "$T/log.saved"
limited_run 1 --steps 50 --out "$T/r" --resume
log_refused "$T/r" "log rewrite under 1 KB"
cmp -s "$T/r/log.csv" "$T/log.saved" || fail "a log that could not be rewritten changed"
[ ! -e "$T/r/log.csv.tmp" ] || fail "log.csv.tmp was left behind"

# AddressSanitizer reserves terabytes of address space: it cannot start
# under ulimit -v, so the sanitizer build skips this part
if ldd "$GENC" | grep -q libasan; then
    echo "$name: memory limit not tested under AddressSanitizer"
else
    # 200 MB: less than the model's own memory (genc's libraries take about
    # 150 MB of address space before it allocates anything: oneDNN's code
    # alone 37 MB); 300 MB: the model's fits, OpenBLAS's buffers (138 MB per
    # thread) do not, where OpenBLAS alone would retry its allocation
    # forever (hence the timeout: a hang fails)
    kill9=""
    command -v timeout > /dev/null 2>&1 && kill9="timeout -s KILL 120"
    for kb in 200000 300000; do
        (ulimit -v $kb; $kill9 "$GENC" run models/dcgan_mnist.g --steps 1 --out "$T/m" --quiet --threads 2) \
            > "$T/out" 2> "$T/err"
        st=$?
        [ $st = 1 ] || fail "ulimit -v $kb: a model that does not fit in memory exited $st, not 1"
        expect_err "not enough memory: training needs about"
        expect_err "MB at batch 64"
        expect_err "OpenBLAS 277 MB of address space for its buffers (138 MB per thread), and oneDNN 34 MB for its kernels"
    done

    # Every limit just below what a run needs ends in a message: oneDNN
    # crashed when it ran out while making a kernel or running one for the
    # first time (k_conv_room), a few MB below the least limit at which one
    # step of dcgan_mnist at batch 1 succeeds. That limit is found by
    # bisection; then the 40 MB below it are tried in 2 MB steps.
    # step_under KB: one such step under ulimit -v KB
    step_under() {
        (ulimit -v "$1"; $kill9 "$GENC" run models/dcgan_mnist.g --batch 1 --steps 1 --out "$T/b" --restart --quiet --threads 1) \
            > "$T/out" 2> "$T/err"
    }
    lo=100000 hi=2000000
    step_under $hi || fail "ulimit -v $hi: one step failed: $(head -3 "$T/err")"
    while [ $((hi - lo)) -gt 1000 ]; do
        mid=$(((lo + hi) / 2))
        if step_under $mid; then hi=$mid; else lo=$mid; fi
    done
    # Refused at start, or when the sample grid's kernels are made (the
    # training step's are made before genc takes its memory): at least one
    # limit must give the second message
    kernel="genc: error: out of memory: oneDNN needs 34 MB free to make a convolution kernel"
    kb=$((hi - 40000)) kernels=0
    while [ $kb -lt $hi ]; do
        step_under $kb
        st=$?
        [ $st = 0 ] || [ $st = 1 ] || fail "ulimit -v $kb: exited $st (a crash?): $(head -3 "$T/err")"
        if [ $st = 1 ]; then
            if [ "$(cat "$T/err")" = "$kernel" ]; then
                kernels=$((kernels + 1))
            else
                grep -q "not enough memory: training needs about .* and oneDNN 34 MB for its kernels; [0-9.]* MB are available$" "$T/err" ||
                    fail "ulimit -v $kb: $(head -3 "$T/err")"
            fi
        fi
        kb=$((kb + 2000))
    done
    [ $kernels -gt 0 ] || fail "no limit below $hi KB stopped at making a kernel"
    echo "$name: one step at batch 1 needs ulimit -v $hi KB; of the 20 limits below it, $kernels stopped at making a kernel"
fi
finish
