#!/bin/sh
# make_kjv.sh: `make data-text`. Writes data/kjv/kjv.txt, the King James
# Bible (public domain) as printed by Debian's bible-kjv from
# bible-kjv-text's data, Genesis 1:1 to Revelation 22:21: 4,298,239
# characters of plain text, 73 different ones, the reference corpus of
# genc's text models. Does nothing when the file is already there and whole.
set -eu
cd "$(dirname "$0")/.."
out=data/kjv/kjv.txt
size=4298239
die() { echo "make_kjv: error: $*" >&2; exit 1; }
if [ -f $out ] && [ "$(wc -c < $out)" -eq $size ]; then exit 0; fi
command -v bible > /dev/null || die "the program bible is missing: run make deps (Debian's bible-kjv and bible-kjv-text)"
mkdir -p data/kjv
bible gen1:1-rev22:21 > $out.tmp
got=$(wc -c < $out.tmp)
[ "$got" -eq $size ] || die "bible printed $got characters, not the $size of bible-kjv-text 4.x; $out.tmp is what it printed"
mv $out.tmp $out
echo "make_kjv: wrote $out ($size characters)"
