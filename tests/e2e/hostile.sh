#!/bin/sh
# What happens around a run, tried as a hostile user would: a second run on
# the same folder, a forgotten --resume, a resume with other settings or
# data, a closed terminal, a pipe into head, a full disk at the wrong
# moment, a symlink or a FIFO where a file should be, a model too large for
# memory. Each ends with every saved result kept and a message naming the
# file and the problem (docs/reliability.md lists them with this test).
. tests/e2e/common.inc

M=models/gan_mlp_mnist.g
fast="--threads 1 --quiet"
asan=false
ldd "$GENC" | grep -q libasan && asan=true
# a hang fails instead of stalling the suite
kill9=""
command -v timeout > /dev/null 2>&1 && kill9="timeout -s KILL 120"

# expect_exact TEXT: the last command's stderr is exactly TEXT
expect_exact() {
    printf '%s\n' "$1" > "$T/want"
    cmp -s "$T/err" "$T/want" || fail "stderr is '$(cat "$T/err")', want '$1'"
}

# started FILE: waits until a run in the background has begun training
started() {
    for i in $(seq 3000); do grep -q "^genc: training" "$1" 2> /dev/null && return 0; sleep 0.01; done
    return 1
}

# ---- a run folder belongs to one run
R="$T/r"
expect_status 0 "$GENC" run $M --steps 3 $fast --out "$R"
cp "$R/checkpoint.genc" "$T/saved.genc"
expect_status 2 "$GENC" run $M --steps 5 $fast --out "$R"
expect_exact "genc: error: $R holds a run already ($R/checkpoint.genc); continue it with --resume, or start over with --restart"
cmp -s "$R/checkpoint.genc" "$T/saved.genc" || fail "a refused fresh run changed the checkpoint"
# --restart deletes genc's files (and the old grids), then trains afresh
mkdir -p "$R/samples" && touch "$R/samples/epoch_007.png" "$R/samples/mine.png"
expect_status 0 "$GENC" run $M --steps 5 $fast --out "$R" --restart
[ -e "$R/samples/epoch_007.png" ] && fail "--restart kept an old grid"
[ -e "$R/samples/mine.png" ] || fail "--restart deleted a file genc did not write"
[ "$(tail -n +2 "$R/log.csv" | wc -l)" = 5 ] || fail "--restart: log.csv is not 5 rows"
# a --restart that cannot start (no such data) deletes nothing
cp "$R/checkpoint.genc" "$T/saved.genc"
expect_status 1 "$GENC" run $M --steps 5 $fast --out "$R" --restart --data "$T/nowhere"
cmp -s "$R/checkpoint.genc" "$T/saved.genc" || fail "a --restart that failed deleted the run"
expect_status 2 "$GENC" run $M --steps 5 $fast --out "$R" --restart --resume
expect_exact "genc: --resume continues the run in the folder and --restart deletes it: choose one
run 'genc --help' for usage"

# a second run on a folder in use is refused, naming the process; SIGTERM
# stops the first at a checkpoint with exit 143
"$GENC" run $M --steps 100000 --threads 1 --out "$T/busy" 2> "$T/busy.err" &
pid=$!
started "$T/busy.err" || fail "the first run did not start: $(cat "$T/busy.err")"
expect_status 2 "$GENC" run $M --steps 5 $fast --out "$T/busy" --resume
expect_exact "genc: error: $T/busy is in use by another genc run (process $pid); wait for it to end, or give this run another --out"
kill -TERM $pid
wait $pid
code=$?
[ $code = 143 ] || fail "SIGTERM: exit status $code, want 143"
grep -q "^genc: stopped by SIGTERM at step [0-9]*; checkpoint $T/busy/checkpoint.genc" "$T/busy.err" ||
    fail "SIGTERM: $(tail -2 "$T/busy.err")"
expect_status 0 "$GENC" run $M --steps 5 $fast --out "$T/r2"

# SIGHUP (a closed terminal): a checkpoint, exit 129, resumable
"$GENC" run $M --steps 100000 --threads 1 --out "$T/hup" 2> "$T/hup.err" &
pid=$!
started "$T/hup.err" || fail "the run to hang up did not start"
kill -HUP $pid
wait $pid
code=$?
[ $code = 129 ] || fail "SIGHUP: exit status $code, want 129"
grep -q "^genc: stopped by SIGHUP at step" "$T/hup.err" || fail "SIGHUP: $(tail -2 "$T/hup.err")"
expect_status 0 "$GENC" run $M --steps 100000 --threads 1 --quiet --out "$T/hup" --resume --epochs 1

# SIGPIPE: output into a pipe whose reader is gone is dropped, the run goes
# on; a resume too, whose first line (a note) goes to a reader that never
# reads
{ "$GENC" run $M --steps 300 --batch 32 --threads 1 --out "$T/pipe"; echo $? > "$T/pipe.status"; } 2>&1 | head -1 > /dev/null
[ "$(cat "$T/pipe.status")" = 0 ] || fail "a run into a closed pipe exited $(cat "$T/pipe.status")"
[ "$(tail -n +2 "$T/pipe/log.csv" | wc -l)" = 300 ] || fail "a run into a closed pipe stopped early"
{ "$GENC" run $M --steps 400 --set 'lr D: 0.0002' --threads 1 --out "$T/pipe" --resume; echo $? > "$T/pipe.status"; } 2>&1 |
    true
[ "$(cat "$T/pipe.status")" = 0 ] || fail "a resume into a closed pipe exited $(cat "$T/pipe.status")"
[ "$(tail -n +2 "$T/pipe/log.csv" | wc -l)" = 400 ] || fail "a resume into a closed pipe stopped early"

# ---- a resume is exact or refused
mkdir -p "$T/data"
cp data/mnist/* "$T/data/"
expect_status 0 "$GENC" run $M --steps 6 --lr 0.001 --data "$T/data" $fast --out "$T/whole"
expect_status 0 "$GENC" run $M --steps 3 --lr 0.001 --data "$T/data" $fast --out "$T/part"
# --resume gives back --lr and --data: the same run
expect_status 0 "$GENC" run $M --steps 6 $fast --out "$T/part" --resume
same_run "$T/whole/checkpoint.genc" "$T/part/checkpoint.genc" || fail "a resume without --lr and --data is another run"
expect_status 2 "$GENC" run $M --steps 9 $fast --out "$T/part" --resume --seed 7
expect_exact "genc: error: $T/part/checkpoint.genc was made with 'seed 1', but this run has 'seed 7'; resume with the settings it was made with, or start over with --restart"
expect_status 2 "$GENC" run $M --steps 9 $fast --out "$T/part" --resume --set 'optimizer sgd(lr: 0.1)'
expect_exact "genc: error: $T/part/checkpoint.genc was made with 'phase D: adam with exp_avg, exp_avg_sq, every 1 steps', but this run has 'phase D: sgd, every 1 steps'; resume with the settings it was made with, or start over with --restart"
expect_status 2 "$GENC" run $M --steps 9 $fast --out "$T/part" --resume --batch 32
expect_exact "genc: error: $T/part/checkpoint.genc was made with 'batch 64', but this run has 'batch 32'; resume with the settings it was made with, or start over with --restart"
# the optimizer's state is part of it: sgd with momentum keeps a buffer
expect_status 0 "$GENC" run $M --steps 2 $fast --out "$T/sgd" --set 'optimizer sgd(lr: 0.01)'
expect_status 2 "$GENC" run $M --steps 4 $fast --out "$T/sgd" --resume --set 'optimizer sgd(lr: 0.01, momentum: 0.9)'
expect_exact "genc: error: $T/sgd/checkpoint.genc was made with 'phase D: sgd, every 1 steps', but this run has 'phase D: sgd with momentum_buffer, every 1 steps'; resume with the settings it was made with, or start over with --restart"
# a setting written with a tab, given back and given again
expect_status 0 "$GENC" run $M --steps 2 $fast --out "$T/tab" --set "$(printf 'epochs\t2')"
expect_status 0 "$GENC" run $M --steps 3 $fast --out "$T/tab" --resume --set "$(printf 'epochs\t2 ')"
# a line of the settings is compared whole, however long: a data folder's
# path of 1,000 bytes does not hide the range after it
long=$T
while [ ${#long} -lt 780 ]; do long="$long/$(printf '%0200d' 0)"; done
long="$long/$(printf "%0$((994 - ${#long}))d" 0)"
mkdir -p "$long" && cp data/mnist/* "$long/"
expect_status 0 "$GENC" run $M --steps 2 $fast --out "$T/longdata" --data "$long"
# the data and noise declarations are part of what a run was made with
sed 's/normal(100)/uniform(100)/' $M > "$T/uniform.g"
sed 's/range: \[-1, 1\]/range: [0, 1]/' $M > "$T/range.g"
mkdir -p "$T/uniform" "$T/range"
cp "$T/part/checkpoint.genc" "$T/uniform/"
cp "$T/part/checkpoint.genc" "$T/range/"
expect_status 2 "$GENC" run "$T/uniform.g" --steps 9 $fast --out "$T/uniform" --resume
expect_err "was made with 'noise z ~ normal(0, 1) [B, 100]', but this run has 'noise z ~ uniform(-1, 1) [B, 100]'"
expect_status 2 "$GENC" run "$T/range.g" --steps 4 $fast --out "$T/longdata" --resume
expect_err "this run has 'data mnist from $long, train split, range [0, 1], 9000 examples of [B, 1, 28, 28]'"
expect_status 2 "$GENC" run "$T/range.g" --steps 9 $fast --out "$T/range" --resume
expect_err "was made with 'data mnist from $T/data, train split, range [-1, 1], 9000 examples of [B, 1, 28, 28]', but this run has 'data mnist from $T/data, train split, range [0, 1], 9000 examples of [B, 1, 28, 28]'"
# an optimizer's numbers may change when asked for (a learning rate
# lowered by hand), with a note
cp -r "$T/part" "$T/lower"
expect_status 0 "$GENC" run $M --steps 7 $fast --out "$T/lower" --resume --set 'lr D: 0.0005'
expect_exact "genc: note: $T/lower/checkpoint.genc was made with 'D: lr 0.001, beta1 0.5, beta2 0.999, eps 1e-08, weight_decay 0, clip 0, grad_clip 0'; this run goes on with 'D: lr 0.0005, beta1 0.5, beta2 0.999, eps 1e-08, weight_decay 0, clip 0, grad_clip 0'"
# and stay changed: the next resume is given the new rate back
expect_status 0 "$GENC" run $M --steps 8 $fast --out "$T/lower" --resume
[ -s "$T/err" ] && fail "a resume after a change of rate: $(cat "$T/err")"
# a checkpoint of genc 0.1.0 (which recorded no settings) stopped at batch
# 30 of an epoch cannot resume on data of 20 batches an epoch: refused, not
# an endless loop
mkdir -p "$T/small" "$T/old"
{ printf '\000\000\010\003\000\000\001\100\000\000\000\034\000\000\000\034'
  tail -c +17 data/mnist/train-images-idx3-ubyte | head -c 250880; } > "$T/small/train-images-idx3-ubyte"
{ printf '\000\000\010\001\000\000\001\100'
  tail -c +9 data/mnist/train-labels-idx1-ubyte | head -c 320; } > "$T/small/train-labels-idx1-ubyte"
cp tests/e2e/legacy/legacy_gan.genc "$T/old/checkpoint.genc"
expect_status 2 $kill9 "$GENC" run tests/e2e/legacy/legacy_gan.g --resume --data "$T/small" $fast --out "$T/old"
expect_exact "genc: error: $T/old/checkpoint.genc stopped at batch 30 of an epoch, but the data has 20 batches an epoch; resume on the data it was made with"
# the line that continues an interrupted run is the whole command, quoted
"$GENC" run $M --steps 100000 --lr 0.001 --threads 1 --out "$T/a b" 2> "$T/int.err" &
pid=$!
started "$T/int.err" || fail "the run to interrupt did not start"
kill -INT $pid
wait $pid
[ $? = 130 ] || fail "SIGINT: not exit 130"
grep -qxF "genc: continue with: $GENC run $M --steps 100000 --lr 0.001 --threads 1 --out '$T/a b' --resume" "$T/int.err" ||
    fail "the continue line: $(tail -1 "$T/int.err")"

# ---- files that are not files, refused by name without blocking
mkdir -p "$T/fifo"
mkfifo "$T/fifo/checkpoint.genc" "$T/model.g"
expect_status 2 $kill9 "$GENC" run $M --resume $fast --out "$T/fifo"
expect_exact "genc: error: $T/fifo/checkpoint.genc is a FIFO, not a file"
expect_status 1 $kill9 "$GENC" sample $M --checkpoint "$T/fifo/checkpoint.genc" --out "$T/x.png"
expect_exact "genc: error: $T/fifo/checkpoint.genc is a FIFO, not a file"
expect_status 1 $kill9 "$GENC" sample $M --checkpoint /dev/zero --out "$T/x.png"
expect_exact "genc: error: /dev/zero is a device, not a file"
expect_status 2 $kill9 "$GENC" check "$T/model.g"
expect_exact "genc: error: $T/model.g is a FIFO, not a file"
expect_status 2 "$GENC" check "$T"
expect_exact "genc: error: $T is a directory, not a file"
mkdir -p "$T/fdata" && cp data/mnist/* "$T/fdata/" && rm "$T/fdata/train-images-idx3-ubyte"
mkfifo "$T/fdata/train-images-idx3-ubyte"
expect_status 1 $kill9 "$GENC" run $M --data "$T/fdata" $fast --steps 1 --out "$T/fd"
expect_exact "genc: error: $T/fdata/train-images-idx3-ubyte is a FIFO, not a file"
# the run folder's parts
mkdir -p "$T/parts" && touch "$T/parts/samples"
expect_status 2 "$GENC" run $M --steps 1 $fast --out "$T/parts"
expect_exact "genc: error: $T/parts/samples is not a directory; genc writes the sample grids there"
# --out empty or too long
expect_status 2 "$GENC" run $M --steps 1 $fast --out ''
expect_exact "genc: --out needs a name, not ''
run 'genc --help' for usage"
long=$(printf "$T/%01000d" 0)
expect_status 2 "$GENC" run $M --steps 1 $fast --out "$long"
expect_exact "genc: --out is ${#long} bytes long; the limit is 1000
run 'genc --help' for usage"
# a temporary file is never written through a symlink
mkdir -p "$T/link"
echo precious > "$T/precious"
ln -s "$T/precious" "$T/link/checkpoint.genc.tmp"
ln -s "$T/precious" "$T/link/log.csv.tmp"
expect_status 0 "$GENC" run $M --steps 2 $fast --out "$T/link"
[ "$(cat "$T/precious")" = precious ] || fail "a file behind a symlinked .tmp was overwritten"
[ -L "$T/link/checkpoint.genc" ] && fail "the checkpoint became a symlink"

# ---- an epoch's end: the checkpoint first; a grid that cannot be written
# is reported and costs nothing
mkdir -p "$T/grid/samples/epoch_001.png"
expect_status 1 "$GENC" run $M --epochs 1 --batch 500 $fast --out "$T/grid"
expect_err "genc: error: $T/grid/samples/epoch_001.png: cannot write: Is a directory"
expect_err "genc: the checkpoint of epoch 1 is saved: $T/grid/checkpoint.genc"
rmdir "$T/grid/samples/epoch_001.png"
expect_status 0 "$GENC" run $M --epochs 2 --batch 500 $fast --out "$T/grid" --resume
[ -f "$T/grid/samples/epoch_002.png" ] || fail "the run resumed after a lost grid made no grid"

# ---- output
# a failed write to stdout
"$GENC" graph --dot $M > /dev/full 2> "$T/err"
[ $? = 1 ] || fail "a failed write to stdout: not exit 1"
expect_exact "genc: error: cannot write to standard output: No space left on device (the disk is full)"
# stderr closed at start: the progress lines do not land in log.csv
"$GENC" run $M --steps 3 --threads 1 --out "$T/closed" 2>&-
[ $? = 0 ] || fail "a run with stderr closed failed"
grep -q genc "$T/closed/log.csv" && fail "progress lines went into log.csv"
[ "$(head -1 "$T/closed/log.csv")" = "step,epoch,loss_D,loss_G,images_per_s,wall_s" ] || fail "log.csv lost its header"
# a log row cut by the file size limit (4 KB in 512-byte blocks; a 20-
# parameter model whose checkpoint fits): reported, the checkpoint saved
tiny=tests/e2e/models/tiny.g
(ulimit -f 8; "$GENC" run $tiny --steps 400 --checkpoint-every 100 $fast --out "$T/cut"; echo "status $?") 2>&1 | cat > "$T/err"
expect_exact "genc: error: cannot write $T/cut/log.csv: File too large (over the file size limit, see ulimit -f); the checkpoint is saved
status 1"
expect_status 0 "$GENC" run $tiny --steps 400 --checkpoint-every 100 $fast --out "$T/cut" --resume
awk -F, 'NR > 1 && NF != 5 { bad = 1 } END { exit bad }' "$T/cut/log.csv" || fail "a cut row stayed in log.csv"
# an interrupted genc sample leaves no temporary file: SIGTERM (a
# background job of a script ignores SIGINT) sent the moment the .tmp
# appears waits for the rename, whichever of the two threads it reaches
expect_status 0 "$GENC" run $M --steps 1 $fast --out "$T/s"
for k in 1 2 3; do
    rm -f "$T/s.png"
    "$GENC" sample $M --checkpoint "$T/s/checkpoint.genc" --n 5000 --threads 2 --out "$T/s.png" 2> /dev/null &
    pid=$!
    for i in $(seq 6000); do [ -e "$T/s.png.tmp" ] && break; sleep 0.005; done
    [ -e "$T/s.png.tmp" ] || fail "genc sample made no $T/s.png.tmp to interrupt"
    kill -TERM $pid
    wait $pid 2> /dev/null
    code=$?
    [ $code = 143 ] || fail "genc sample stopped by SIGTERM: exit status $code, want 143"
    [ -e "$T/s.png.tmp" ] && fail "genc sample stopped by SIGTERM left $T/s.png.tmp"
    [ -s "$T/s.png" ] || fail "genc sample stopped by SIGTERM while writing did not finish $T/s.png"
done
# two writers of one file: the second is refused while the first writes
if command -v flock > /dev/null 2>&1; then
    # the lock's holder: flock running a sleep whose pid it writes down
    flock "$T/s.png.tmp" sh -c 'echo $$ > "$1"; exec sleep 60' sh "$T/holder" > /dev/null 2>&1 &
    holder=$!
    for i in $(seq 2000); do [ -s "$T/holder" ] && break; sleep 0.005; done
    expect_status 1 "$GENC" sample $M --checkpoint "$T/s/checkpoint.genc" --n 4 --threads 1 --out "$T/s.png"
    expect_exact "genc: error: $T/s.png: cannot write: Device or resource busy (another genc is writing it)"
    kill "$(cat "$T/holder")"
    wait $holder 2> /dev/null
fi

# ---- resources
# a model too large for memory is refused before it allocates anything
expect_status 1 "$GENC" run tests/e2e/models/huge.g --steps 1 --threads 1 --out "$T/huge"
expect_err "genc: error: tests/e2e/models/huge.g: not enough memory: training needs about 217573.6 MB at batch 64 (parameters, optimizer state and inputs 163095.3 MB, intermediate values, gradients and kernel scratch 54478.2 MB)"
# a gzip file whose header promises 10,000,000 images; its 300 MB of
# zeros are cut short by the header's count (without a limit) or would
# outgrow memory (under one)
mkdir -p "$T/bomb" && cp data/mnist/train-labels-idx1-ubyte "$T/bomb/"
{ printf '\000\000\010\003\000\230\226\200\000\000\000\034\000\000\000\034'; head -c 300000000 /dev/zero; } |
    gzip -1 > "$T/bomb/train-images-idx3-ubyte.gz"
expect_status 1 "$GENC" run $M --data "$T/bomb" --steps 1 $fast --out "$T/b"
expect_exact "genc: error: $T/bomb/train-images-idx3-ubyte.gz: truncated: header says 10000000 images of 28x28 (7840000000 bytes) but only 300000000 follow the header"
if $asan; then
    echo "$name: memory and thread limits not tested under AddressSanitizer (it cannot start under ulimit -v)"
else
    (ulimit -v 500000; "$GENC" run $M --data "$T/bomb" --steps 1 $fast --out "$T/b") > "$T/out" 2> "$T/err"
    [ $? = 1 ] || fail "a gzip bomb under ulimit -v: not exit 1"
    expect_err "genc: error: $T/bomb/train-images-idx3-ubyte.gz: header says 10000000 images of 28x28 (7840.0 MB), more than the "
    # a thread that cannot start (no room for its stack)
    (ulimit -v 600000; "$GENC" bench $M --threads 1000 --steps 2) > "$T/out" 2> "$T/err"
    [ $? = 1 ] || fail "threads that cannot start: not exit 1"
    expect_exact "genc: error: cannot start 1000 threads: Resource temporarily unavailable; use fewer with --threads"
fi
finish
