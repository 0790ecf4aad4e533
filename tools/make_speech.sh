#!/bin/sh
# make_speech.sh: `make data-speech`. Builds a spoken-digit set like SC09
# (the digits of Speech Commands) from Debian's espeak-ng and sox: the ten
# digits "zero" to "nine" spoken by every English voice of espeak-ng and
# every one of its voice variants, each clip at one of nine speeds and
# pitches (taken in turn), resampled to 8,000 samples per second, 16-bit
# mono, silence trimmed at both ends. The split is by voice: English
# (Caribbean) is the test set, the seven others the training set:
#   data/speech/train/<digit>/<voice>-<variant>.wav   (7 x 101 x 10 clips)
#   data/speech/test/<digit>/<voice>-<variant>.wav    (1 x 101 x 10 clips)
# Deterministic: the same packages give the same files. Does nothing when
# the set is already there and complete (a file .complete records that).
set -eu
cd "$(dirname "$0")/.."
out=data/speech
die() { echo "make_speech: error: $*" >&2; exit 1; }
[ -f $out/.complete ] && exit 0
command -v espeak-ng > /dev/null || die "espeak-ng is missing: run make deps"
command -v sox > /dev/null || die "sox is missing: run make deps"

voices="en-gb en-us en-gb-scotland en-gb-x-gbclan en-gb-x-rp en-gb-x-gbcwmd en-us-nyc en-029"
test_voice=en-029
variants=$(espeak-ng --voices=variant | awk 'NR > 1 { sub("^!v/", "", $5); print $5 }')
nvariants=$(echo "$variants" | wc -l)
[ "$nvariants" -gt 0 ] || die "espeak-ng lists no voice variants"
rm -rf $out.tmp
mkdir -p $out.tmp
# one line per clip: split digit word voice variant speed pitch
i=0
for voice in $voices; do
    split=train
    [ $voice = $test_voice ] && split=test
    for variant in $variants; do
        d=0
        for word in zero one two three four five six seven eight nine; do
            speed=$((130 + 30 * (i % 3)))            # 130, 160, 190 words per minute
            pitch=$((30 + 20 * ((i / 3) % 3)))       # 30, 50, 70 (espeak-ng's 0..99)
            echo "$split $d $word $voice $variant $speed $pitch"
            d=$((d + 1))
            i=$((i + 1))
        done
    done
done > $out.tmp/clips
echo "make_speech: $(wc -l < $out.tmp/clips) clips, $nvariants variants of 8 voices, into $out/"
# two at a time (the machine's cores); each clip: speak, resample, trim
xargs -P 2 -L 1 sh -c '
    dir=$0.tmp/$1/$2; mkdir -p "$dir"
    raw=$(mktemp); f="$dir/$4-$5.wav"
    espeak-ng -v "$4+$5" -s "$6" -p "$7" -w "$raw" "$3" &&
    sox "$raw" -r 8000 -b 16 -c 1 "$f" silence 1 0.01 0.5% reverse silence 1 0.01 0.5% reverse
    status=$?; rm -f "$raw"; exit $status' $out < $out.tmp/clips ||
    die "espeak-ng or sox failed; $out.tmp holds what was made"
rm $out.tmp/clips
made=$(find $out.tmp -name '*.wav' | wc -l)
[ "$made" -eq $((8 * nvariants * 10)) ] || die "made $made clips, not $((8 * nvariants * 10))"
rm -rf $out
mv $out.tmp $out
touch $out/.complete
echo "make_speech: wrote $made clips to $out/"
