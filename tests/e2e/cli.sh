#!/bin/sh
# cli.sh: the command line's answers: help and version on stdout with
# status 0 (also `genc COMMAND --help`), and every usage error's exact text
# on stderr with status 2.
. "$(dirname "$0")/common.inc"

# usage_case ARGS TEXT: `genc ARGS` exits 2 and prints exactly
# "genc: TEXT" and the pointer to --help on stderr, nothing on stdout
usage_case() {
    args=$1
    printf 'genc: %s\nrun '"'"'genc --help'"'"' for usage\n' "$2" > "$T/want"
    # shellcheck disable=SC2086
    expect_status 2 "$GENC" $args
    cmp -s "$T/err" "$T/want" || fail "genc $args printed: $(cat "$T/err")"
    [ -s "$T/out" ] && fail "genc $args printed on stdout: $(head -2 "$T/out")"
}

for args in --help -h help "run --help" "graph models/vae_mnist.g -h"; do
    # shellcheck disable=SC2086
    expect_status 0 "$GENC" $args
    head -1 "$T/out" | grep -qx 'usage: genc COMMAND FILE.g \[options\]' || fail "genc $args: no usage on stdout"
done
expect_status 0 "$GENC" --version
grep -q '^genc [0-9]' "$T/out" || fail "--version printed: $(cat "$T/out")"
expect_status 2 "$GENC"
grep -q '^usage: genc' "$T/err" || fail "no arguments: no usage on stderr"

m=models/vae_mnist.g
usage_case "frob" "unknown command 'frob'"
usage_case "check" "check takes one file, got none"
usage_case "check a b" "check takes one file, got more"
usage_case "graph" "graph needs a file"
usage_case "graph $m --after=foo" "unknown pass 'foo' (lower, rewrite, autodiff or plan)"
usage_case "graph $m --frob" "unknown option '--frob' for graph"
usage_case "graph $m $m" "graph takes one file; '$m' is a second"
usage_case "graph $m --stats --batch 0" "--batch needs a whole number in 1..65536"
usage_case "graph $m --after=lower --stats" "--stats needs the whole graph; drop --after"
usage_case "run" "run needs a model file"
usage_case "run $m --epochs" "option --epochs needs a value"
usage_case "run $m --epochs abc" "--epochs needs a whole number in 1..1000000, not 'abc'"
usage_case "run $m --lr -1" "--lr needs a number above 0 and at most 1e+06, not '-1'"
usage_case "run $m --lr 2e6" "--lr needs a number above 0 and at most 1e+06, not '2e6'"
usage_case "run $m --frob" "unknown option '--frob'"
usage_case "run $m --backend gpu" "--backend: unknown backend 'gpu' (cpu, ref)"
usage_case "bench $m --backend gpu" "--backend: unknown backend 'gpu' (cpu, ref)"
usage_case "run $m --steps x" "--steps needs a whole number in 1..1000000000000, not 'x'"
usage_case "run $m models/gan_mlp_mnist.g" "one model file only; 'models/gan_mlp_mnist.g' is a second"
usage_case "sample $m --grid 8by8" "--grid needs ROWSxCOLS like 8x8, not '8by8'"
usage_case "sample $m --grid 1000x1000" "--grid 1000x1000 holds 1000000 images, more than 100000"
usage_case "bench" "bench needs a model file"
usage_case "bench $m --frob" "unknown option '--frob'"
usage_case "bench $m --steps 0" "--steps needs a whole number in 1..1000000, not '0'"
usage_case "bench $m --threads 0" "--threads needs a whole number in 1..1024, not '0'"
usage_case "bench $m --batch 0" "--batch needs a whole number in 1..65536, not '0'"
usage_case "run $m --set" "option --set needs a value"
usage_case "run $m --set x{" "--set takes one train setting, without braces or newlines, not 'x{'"
sets=""
for i in $(seq 65); do sets="$sets --set seed=1"; done
usage_case "run $m$sets" "more than 64 --set options"
usage_case "bench $m $m" "one model file only; '$m' is a second"
usage_case "sample $m --out x.jpg" "--out x.jpg: the file's name must end in .png (a grid) or .idx (IDX bytes)"
usage_case "sample $m --interpolate --out x.idx" "--out x.idx: --interpolate writes a grid, to a .png file"

# --set: train-block lines after the file's, the later one winning; their
# errors quoted like the file's, as lines of the pseudo-file --set
expect_status 0 "$GENC" run $m --set 'epochs 3' --set 'batch 100' --set 'epochs 1' --quiet --threads 1 --out "$T/set"
tail -1 "$T/set/log.csv" | grep -q '^90,1,' || fail "--set epochs 1, batch 100: last log row $(tail -1 "$T/set/log.csv"), want step 90 of epoch 1"
# a checkpoint is tied to what training computes, not to what `sample`
# draws: another sample expression reads it (and draws something else)
expect_status 0 "$GENC" sample $m --checkpoint "$T/set/checkpoint.genc" --out "$T/set/a.png"
expect_status 0 "$GENC" sample $m --checkpoint "$T/set/checkpoint.genc" --set 'sample Dec(0.5 * eps)' --out "$T/set/b.png"
cmp -s "$T/set/a.png" "$T/set/b.png" && fail "--set 'sample Dec(0.5 * eps)' drew the same grid as 'sample Dec(eps)'"
# ... and a sample expression changes nothing in training: here its
# constant 1 would come before D's dropouts in the graph, and used to move
# their random streams
d=models/dcgan_mnist.g
expect_status 0 "$GENC" run $d --steps 2 --batch 8 --threads 1 --quiet --out "$T/s1"
expect_status 0 "$GENC" run $d --steps 2 --batch 8 --threads 1 --quiet --out "$T/s2" --set 'sample G(1 * z)'
same_run "$T/s1/checkpoint.genc" "$T/s2/checkpoint.genc" || fail "--set 'sample G(1 * z)' trained $d differently"
# the reference kernels train like the fast ones, within rounding
# (tests/unit/test_backends.c compares them on every shipped model)
expect_status 0 "$GENC" run models/vae_mnist.g --steps 2 --batch 8 --threads 1 --quiet --out "$T/ref" --backend ref
expect_status 0 "$GENC" eval models/vae_mnist.g --checkpoint "$T/ref/checkpoint.genc" --backend ref
grep -q 'loss Enc+Dec' "$T/out" || fail "eval --backend ref printed: $(cat "$T/out")"
# --lr, --seed, --batch and --epochs are the train settings of those names,
# after the file's and --set's: the same run three ways
g=models/gan_mlp_mnist.g
expect_status 0 "$GENC" run $g --steps 3 --threads 1 --quiet --out "$T/l1" --lr 0.001 --seed 4 --batch 16
expect_status 0 "$GENC" run $g --steps 3 --threads 1 --quiet --out "$T/l2" --set 'lr 0.001' --set 'seed 4' --set 'batch 16'
expect_status 0 "$GENC" run $g --steps 3 --threads 1 --quiet --out "$T/l3" --seed 4 --batch 16 \
    --set 'optimizer adam(lr: 1e-3, beta1: 0.5)'
same_run "$T/l1/checkpoint.genc" "$T/l2/checkpoint.genc" || fail "--lr --seed --batch differ from their settings"
same_run "$T/l1/checkpoint.genc" "$T/l3/checkpoint.genc" || fail "--lr 0.001 differs from adam(lr: 1e-3, ...)"
expect_status 0 "$GENC" run $g --steps 3 --threads 1 --quiet --out "$T/l4" --seed 4 --batch 16
same_run "$T/l1/checkpoint.genc" "$T/l4/checkpoint.genc" && fail "--lr 0.001 changed nothing"
cat > "$T/want" << 'END'
--set:2:9: error: unknown train setting 'clipp'; did you mean 'clip'?
train { clipp D: 0.02 }
        ^~~~~
--set:3:16: error: 'epochs' must be positive, got 0
train { epochs 0 }
               ^
2 errors
END
expect_status 3 "$GENC" run models/gan_mlp_mnist.g --set 'seed 2' --set 'clipp D: 0.02' --set 'epochs 0'
cmp -s "$T/err" "$T/want" || fail "--set errors: $(cat "$T/err")"
finish
