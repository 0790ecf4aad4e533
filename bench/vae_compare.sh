#!/bin/sh
# vae_compare.sh: models/vae_mnist.g and its PyTorch twin
# (bench/vae_torch_train.py) trained the same way on the same split, seed by
# seed, in one run; prints each test loss (nats per image, lower is better)
# and the means. For docs/results.md; needs python3-torch (make deps-bench).
#
#   bench/vae_compare.sh            # seeds 1 2 3
#   SEEDS="1 2 3 4 5" bench/vae_compare.sh
set -eu
GENC=${GENC:-build/genc}
SEEDS=${SEEDS:-1 2 3}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

echo "seed   genc     torch    (test loss, nats per image, 10 epochs, 1 thread each)"
for s in $SEEDS; do
    $GENC run models/vae_mnist.g --seed "$s" --threads 1 --out "$dir/$s" --quiet
    g=$($GENC eval models/vae_mnist.g --checkpoint "$dir/$s/checkpoint.genc" --threads 1 | awk '/loss/ {print $NF}')
    t=$(/usr/bin/python3 bench/vae_torch_train.py --seed "$s" --threads 1 | sed -n 's/^torch.*test loss \([0-9.]*\).*/\1/p')
    printf '%-6s %-8.2f %-8.2f\n' "$s" "$g" "$t"
done | tee "$dir/table"
awk '{g += $2; t += $3; n++} END {printf "mean   %-8.2f %-8.2f (genc - torch = %+.2f)\n", g / n, t / n, (g - t) / n}' "$dir/table"
