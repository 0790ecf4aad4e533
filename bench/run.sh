#!/bin/sh
# run.sh: genc against PyTorch on the same models, in one run (make bench).
#
# For each model, genc (1 thread and every core) and PyTorch (1 thread and
# every core, each with OMP_WAIT_POLICY=PASSIVE and without) are timed
# alternately, ROUNDS times, and the best images/s of each setting is kept,
# so that a burst of load on the machine does not decide the comparison.
# The reference is PyTorch at its best setting. Without PyTorch (make
# deps-bench installs Debian's python3-torch) only genc is measured.
# MODELS="dcgan_mnist wgan_gp_mnist" bench/run.sh times only those.
set -u
GENC=${GENC:-build/genc}
STEPS=${STEPS:-20}
ROUNDS=${ROUNDS:-2}
MODELS=${MODELS:-gan_mlp_mnist dcgan_mnist wgan_gp_mnist vae_mnist sagan_mnist resnet_gan_mnist}
PY=/usr/bin/python3
cores=$(nproc)
out=$(mktemp)
trap 'rm -f "$out"' EXIT

have_torch=0
if [ -x $PY ] && $PY -c 'import torch' 2> /dev/null; then have_torch=1; fi

best() { # best KEY IMAGES_PER_S RSS_MB: keep the highest images/s per key
    echo "$1 $2 $3" >> "$out"
}

echo "genc vs PyTorch, $STEPS training steps after 3 of warm-up, best of $ROUNDS rounds"
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $cores cores"
# The ceiling is the best of three sgemm measurements (1 thread, then
# every core twice): on a busy machine one of them can come out far too
# low, and a low ceiling would inflate genc's share of it.
s1=$($GENC bench --sgemm --threads 1) && echo "$s1"
sn=$($GENC bench --sgemm --threads "$cores") && echo "$sn"
sn2=$($GENC bench --sgemm --threads "$cores") && echo "$sn2"
ceiling=$(printf '%s\n' "$s1" "$sn" "$sn2" | awk '$4 > c {c = $4} END {print c}')
echo "sgemm ceiling: $ceiling GFLOP/s, the best of these"

for model in $MODELS; do
    for round in $(seq "$ROUNDS"); do
        for t in 1 "$cores"; do
            line=$($GENC bench models/$model.g --threads "$t" --steps "$STEPS") || exit 1
            best "$model genc-$t" "$(echo "$line" | awk '{print $9}')" "$(echo "$line" | sed 's/.*peak RSS \([0-9.]*\).*/\1/')"
            # the work of the steps timed, which for a model whose players
            # take turns (wgan_gp_mnist's G every 5th step) is less than a
            # step of every phase (genc graph --stats)
            flops=$(echo "$line" | sed 's/.*, \([0-9.]*\) MFLOP\/example.*/\1/')
        done
        [ $have_torch = 1 ] || continue
        for t in 1 "$cores"; do
            for policy in PASSIVE default; do
                if [ $policy = PASSIVE ]; then
                    line=$(OMP_WAIT_POLICY=PASSIVE $PY bench/torch_models.py $model --threads "$t" --steps "$STEPS")
                else
                    line=$($PY bench/torch_models.py $model --threads "$t" --steps "$STEPS")
                fi
                best "$model torch-$t-$policy" "$(echo "$line" | awk '{print $9}')" "$(echo "$line" | sed 's/.*peak RSS \([0-9.]*\).*/\1/')"
            done
        done
    done
    sort -k3,3gr "$out" | awk -v m="$model" -v ceil="$ceiling" -v flops="$flops" -v cores="$cores" '
        $1 == m && !seen[$2]++ { ips[$2] = $3; rss[$2] = $4 }
        END {
            g1 = ips["genc-1"]; gn = ips["genc-" cores]
            gbest = g1 > gn ? g1 : gn; gk = g1 > gn ? "genc-1" : "genc-" cores
            printf "%-14s genc: %8.1f images/s (1 thread %.1f, %d threads %.1f, scaling %.2fx), %.1f GFLOP/s = %.0f%% of sgemm %.1f, peak RSS %.0f MB\n",
                m, gbest, g1, cores, gn, gn / g1, gbest * flops / 1000, 100 * gbest * flops / 1000 / ceil, ceil, rss[gk]
            tbest = 0
            for (k in ips) if (k ~ /^torch/ && ips[k] > tbest) { tbest = ips[k]; tk = k }
            if (tbest > 0)
                printf "%-14s torch: %7.1f images/s at its best (%s), peak RSS %.0f MB; genc/torch = %.2fx speed, %.2f memory\n",
                    m, tbest, tk, rss[tk], gbest / tbest, rss[gk] / rss[tk]
            else
                printf "%-14s torch: not measured (make deps-bench installs python3-torch)\n", m
        }'
done
