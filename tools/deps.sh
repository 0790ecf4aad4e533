#!/bin/sh
# deps.sh: install the Debian packages genc needs, if any are missing.
# As root it runs apt-get; otherwise it prints the exact command to run.
# --quiet: say nothing when everything is already there.
# --bench: also PyTorch (python3-torch), which only make bench uses.
set -eu

quiet=0 bench=0
for arg in "$@"; do
    case $arg in
        --quiet) quiet=1 ;;
        --bench) bench=1 ;;
        *) echo "deps: unknown option $arg" >&2; exit 2 ;;
    esac
done

missing=""
need() { # need PACKAGE TEST...: PACKAGE is missing unless the test succeeds
    pkg=$1; shift
    if ! "$@" >/dev/null 2>&1; then missing="$missing $pkg"; fi
}
need gcc             command -v cc
need make            command -v make
need flex            command -v flex
need bison           command -v bison
need libopenblas-dev test -e /usr/include/x86_64-linux-gnu/openblas-pthread/cblas.h
need libdnnl-dev     test -e /usr/include/oneapi/dnnl/dnnl.h
need zlib1g-dev      test -e /usr/include/zlib.h
need libstb-dev      test -e /usr/include/stb/stb_image_write.h
need graphviz        command -v dot
need npm             command -v npm
need dataset-fashion-mnist test -e /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz
need bible-kjv       command -v bible
need bible-kjv-text  test -e /usr/lib/bible.data
need espeak-ng       command -v espeak-ng
need sox             command -v sox
[ $bench = 0 ] || need python3-torch /usr/bin/python3 -c 'import torch'

if [ -z "$missing" ]; then
    [ $quiet = 1 ] || echo "deps: everything genc needs is installed"
    exit 0
fi

if [ "$(id -u)" != 0 ]; then
    echo "deps: missing Debian packages:$missing" >&2
    echo "deps: install them with: sudo apt-get install -y$missing" >&2
    exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq $missing >/dev/null
