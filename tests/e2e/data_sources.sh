#!/bin/sh
# data_sources.sh: genc trains, evaluates and samples from each data source.
# - docs/language.md's idx() example runs, evaluates and reloads its folder.
# - A sample that reads the data (a denoising autoencoder) draws test
#   examples in `genc sample`, never zeros, and different ones per image.
# - images(): a folder of PNG, JPEG and BMP files in class folders trains,
#   evaluates on its held-out part and samples; train/ and test/ folders;
#   every kind of bad folder is named with its problem.
# - text(): a UTF-8 file's character windows train and evaluate (in bits
#   too); a wrong vocabulary, bytes that are not UTF-8 and a text shorter
#   than a window are named.
# - wav(): a folder of WAV files (made with sox) trains and evaluates; a
#   WAV that is not 16-bit PCM, one at another rate, a cut one and a file
#   that is no WAV are each named.
. "$(dirname "$0")/common.inc"
case $GENC in /*) genc=$GENC ;; *) genc=$(pwd)/$GENC ;; esac
[ -f data/mnist/train-images-idx3-ubyte ] || [ -f data/mnist/train-images-idx3-ubyte.gz ] ||
    { fail "data/mnist is missing: run make data"; finish; }
ln -s "$(pwd)/data" "$T/data"
# decoded folders are cached here, not in the user's ~/.cache
export XDG_CACHE_HOME="$T/cache"

# the idx() example of docs/language.md, as it is written there
awk '$0 == "```g" { on = 1; b = ""; next } on && /^```/ { on = 0; if (b ~ /idx\(/) { printf "%s", b; exit } }
     on { b = b $0 "\n" }' docs/language.md > "$T/idx.g"
grep -q 'idx("data/mnist/"' "$T/idx.g" || fail "docs/language.md has no idx() example"
(cd "$T" && "$genc" run idx.g --steps 20 --quiet) > "$T/out" 2> "$T/err" || fail "idx example: run: $(head -3 "$T/err")"
(cd "$T" && "$genc" eval idx.g) > "$T/out" 2> "$T/err" || fail "idx example: eval: $(head -3 "$T/err")"
grep -q "accuracy" "$T/out" || fail "idx example: eval printed no accuracy: $(head -3 "$T/out")"
# the folder is the model's: another one replaces it, and a missing one is named
expect_status 1 sh -c "cd '$T' && '$genc' eval idx.g --data nowhere"
expect_err "nowhere: no such directory"

# a denoising autoencoder, whose sample reads the data
cat > "$T/dae.g" <<'G'
data x ~ mnist(train)
e ~ normal([1, 28, 28])
net Enc(x: [1, 28, 28]) -> [16] { flatten -> dense(64) -> relu -> dense(16) }
net Dec(h: [16]) -> [1, 28, 28] { dense(64) -> relu -> dense(784) -> sigmoid -> reshape(1, 28, 28) }
min Enc, Dec: E[sum((Dec(Enc(x + 0.3 * e)) - x) ^ 2)]
train {
    batch 32
    sample Dec(Enc(x + 0.3 * e))
}
G
(cd "$T" && "$genc" run dae.g --steps 30 --quiet) 2> "$T/err" || fail "dae: run: $(head -3 "$T/err")"
# idx_images FILE: one line per image of an IDX3 file, its bytes in decimal
idx_images() {
    od -An -v -tu1 -j16 -w784 "$1" | tr -s ' '
}
for what in dae x; do
    set -- --out "$T/$what.idx" --n 8
    [ $what = x ] && set -- "$@" --set 'sample x'
    (cd "$T" && "$genc" sample dae.g "$@") 2> "$T/err" || fail "sample ($what): $(head -3 "$T/err")"
    idx_images "$T/$what.idx" > "$T/$what.txt"
    [ "$(wc -l < "$T/$what.txt")" = 8 ] || fail "sample ($what): not 8 images"
    # every image has ink, and no two are the same
    awk '{ ink = 0; for (i = 1; i <= NF; i++) if ($i > 0) ink++; if (ink < 20) bad++ } END { exit bad > 0 }' "$T/$what.txt" ||
        fail "sample ($what): an image with (almost) no ink: the data was not drawn"
    [ "$(sort -u "$T/$what.txt" | wc -l)" = 8 ] || fail "sample ($what): repeated images"
done
# the test examples, in the seed's order: the same each time
(cd "$T" && "$genc" sample dae.g --out "$T/x2.idx" --n 8 --set 'sample x') 2> "$T/err"
cmp -s "$T/x.idx" "$T/x2.idx" || fail "sample x: not the same examples twice"

# ---- images() ----
tool=$(dirname "$genc")/tests/idx_folder
"$tool" data/mnist train "$T/f" 300 colour || fail "idx_folder could not write a folder"
cat > "$T/img.g" <<'G'
data x, y ~ images("f/", shape: [3, 32, 32], range: [-1, 1], classes: 10, flip: true, shift: 2)
net C(x: [3, 32, 32]) -> [10] { conv(8, 3, stride: 2) -> relu -> flatten -> dense(10) -> softmax }
min C: E[cross_entropy(C(x), y)]
train {
    batch 16
    sample x
}
G
(cd "$T" && "$genc" run img.g --steps 10) > "$T/out" 2> "$T/err" || fail "images: run: $(head -3 "$T/err")"
grep -qF "genc: classes of f/: 0 0, 1 1, 2 2, 3 3, 4 4, 5 5, 6 6, 7 7, 8 8, 9 9" "$T/err" ||
    fail "images: the class names are not printed: $(head -3 "$T/err")"
(cd "$T" && "$genc" eval img.g) > "$T/out" 2> "$T/err" || fail "images: eval: $(head -3 "$T/err")"
# every 10th image of each class (by name) is held out
held=$(for d in "$T"/f/*/; do ls "$d" | wc -l; done | awk '{ n += int($1 / 10) } END { print n }')
grep -q "on $held test images (images)" "$T/out" || fail "images: not $held held-out images: $(head -2 "$T/out")"
(cd "$T" && "$genc" sample img.g --out "$T/img.idx" --n 4 --set 'sample x') 2> "$T/err" ||
    fail "images: sample: $(head -3 "$T/err")"
[ "$(wc -c < "$T/img.idx")" = $((20 + 4 * 3 * 32 * 32)) ] || fail "images: sample is not 4 of 3x32x32"
# a resumed run with augmentation continues exactly where one run would be
(cd "$T" && "$genc" run img.g --steps 20 --out one --quiet && "$genc" run img.g --steps 10 --out two --quiet &&
    "$genc" run img.g --steps 20 --out two --resume --quiet) 2> "$T/err" || fail "images: resume: $(head -3 "$T/err")"
same_run "$T/one/checkpoint.genc" "$T/two/checkpoint.genc" || fail "images: a resumed run with flip and shift differs"
# resumed at an epoch's end (steps per epoch: the training images / 16), so
# the next epoch's first batch is assembled after the resume, not ahead
per_epoch=$(( ($(find "$T/f" -type f | wc -l) - held) / 16 ))
(cd "$T" && "$genc" run img.g --steps $per_epoch --out three --quiet &&
    "$genc" run img.g --steps 20 --out three --resume --quiet) 2> "$T/err" || fail "images: resume at an epoch's end: $(head -3 "$T/err")"
same_run "$T/one/checkpoint.genc" "$T/three/checkpoint.genc" || fail "images: a run resumed at an epoch's end differs"

# grey images among colour ones are made colour (the grey repeated), and
# colour ones made grey for a grey model: both train
"$tool" data/mnist test "$T/grey" 30 || fail "idx_folder could not write a grey folder"
mkdir -p "$T/mixed/a" && cp "$T"/f/0/* "$T/mixed/a/" && cp "$T"/grey/*/* "$T/mixed/a/"
n_mixed=$(ls "$T/mixed/a" | wc -l)
for c in 1 3; do
    cat > "$T/mixed$c.g" <<G
data x ~ images("mixed/", shape: [$c, 16, 16], holdout: 0)
net D(x: [$c, 16, 16]) -> [1] { flatten -> dense(1) }
min D: E[D(x) ^ 2]
train { batch 8 }
G
    (cd "$T" && "$genc" run mixed$c.g --steps 3 --quiet) 2> "$T/err" || fail "mixed channels, [$c, 16, 16]: $(head -3 "$T/err")"
    grep -q "skipped" "$T/err" && fail "mixed channels, [$c, 16, 16]: images skipped: $(head -3 "$T/err")"
done
[ "$n_mixed" -gt 30 ] || fail "the mixed folder has $n_mixed images"

# class names: kept in the checkpoint, and --label takes them
# (3/ and 9/ renamed: the classes by name are 0 1 2 4 5 6 7 8 nine three;
# a --label is a class's name, else its number)
cp -r "$T/f" "$T/named" && mv "$T/named/3" "$T/named/three" && mv "$T/named/9" "$T/named/nine"
cat > "$T/cond.g" <<'G'
data x, y ~ images("named/", shape: [1, 8, 8], classes: 10)
z ~ normal(4)
c ~ categorical(10)
net G(z: [4], c: []) -> [1, 8, 8] { concat(z, onehot(c, 10)) -> dense(64) -> sigmoid -> reshape(1, 8, 8) }
min G: E[sum((G(z, y) - x) ^ 2)]
train {
    batch 16
    sample G(z, c)
}
G
(cd "$T" && "$genc" run cond.g --steps 5 --quiet && "$genc" sample cond.g --label three --n 2 --out three.idx &&
    "$genc" sample cond.g --label 9 --n 2 --out nine.idx) 2> "$T/err" || fail "--label NAME: $(head -3 "$T/err")"
cmp -s "$T/three.idx" "$T/nine.idx" || fail "--label three is not class 9 (the last by name)"
(cd "$T" && "$genc" sample cond.g --label 8 --n 2 --out eight.idx && "$genc" sample cond.g --label 7 --n 2 --out seven.idx) 2> "$T/err"
cmp -s "$T/eight.idx" "$T/seven.idx" && fail "--label 8 (the folder 8/, class 7) is class 8"
expect_status 2 sh -c "cd '$T' && '$genc' sample cond.g --label four --out x.idx"
expect_err "genc: error: --label four: no class of that name in the checkpoint (it has 10, numbered 0 to 9)"

# the decoded images are cached: a file changed in place without a new
# time or size is still read from the cache (no warning), one touched is
# decoded again (a warning: it is no image now)
ls "$T"/cache/genc/*.data > /dev/null 2>&1 || fail "images: no cache under \$XDG_CACHE_HOME/genc"
victim=$(ls "$T"/f/5/*.png | head -1)
cp -p "$victim" "$T/victim.png"
head -c "$(wc -c < "$victim")" /dev/zero > "$victim" && touch -r "$T/victim.png" "$victim"
(cd "$T" && "$genc" run img.g --steps 1 --quiet --out cached) 2> "$T/err" || fail "images, cached: $(head -3 "$T/err")"
grep -q "skipped" "$T/err" && fail "images: the cache was not used: $(head -2 "$T/err")"
touch "$victim"
(cd "$T" && "$genc" run img.g --steps 1 --quiet --out cached --restart) 2> "$T/err" || fail "images, recached: $(head -3 "$T/err")"
grep -q "f/5/$(basename "$victim"): " "$T/err" || fail "images: a touched file was not decoded again: $(head -2 "$T/err")"
cp -p "$T/victim.png" "$victim"

# train/ and test/ folders; a test class the training images lack
mkdir -p "$T/tt/train" "$T/tt/test"
cp -r "$T/f/0" "$T/f/1" "$T/tt/train/" && mkdir "$T/tt/test/0" && mv "$T/tt/train/0/000"* "$T/tt/test/0/"
sed 's|"f/"|"tt/"|; s|classes: 10|classes: 2|' "$T/img.g" > "$T/tt.g"
(cd "$T" && "$genc" run tt.g --steps 2 --quiet && "$genc" eval tt.g) > "$T/out" 2> "$T/err" ||
    fail "images, train/ and test/: $(head -3 "$T/err")"
n=$(ls "$T/tt/test/0" | wc -l)
grep -q "on $n test images" "$T/out" || fail "images, train/ and test/: not the $n of test/: $(head -2 "$T/out")"
mkdir "$T/tt/test/7"
expect_status 1 sh -c "cd '$T' && '$genc' eval tt.g"
expect_err "genc: error: tt/test/7/: a class the training images do not have"
rmdir "$T/tt/test/7"
mkdir -p "$T/loose/test" && cp -r "$T/tt/train" "$T/loose/" && cp "$T/tt/test/0/"* "$T/loose/test/"
sed 's|"tt/"|"loose/"|' "$T/tt.g" > "$T/loose.g"
(cd "$T" && "$genc" run loose.g --steps 1 --quiet) 2> "$T/err" || fail "images, loose: $(head -3 "$T/err")"
expect_status 1 sh -c "cd '$T' && '$genc' eval loose.g"
expect_err "genc: error: loose/test: loose files, but the training folder has class folders"

# bad folders: each named with its problem
bad() { # bad STATUS MESSAGE: genc run img.g on $T/f fails so
    expect_status "$1" sh -c "cd '$T' && '$genc' run img.g --steps 1 --quiet --out bad --restart"
    expect_err "$2"
}
printf 'not a picture' > "$T/f/2/zz_bad.png"
head -c 100 "$(ls "$T"/f/3/*.png | head -1)" > "$T/f/3/zz_cut.png"
ntrain=$(($(find "$T/f" -type f | wc -l) - held))
expect_status 0 sh -c "cd '$T' && '$genc' run img.g --steps 1 --quiet --out bad --restart"
expect_err "genc: warning: f/: 2 of $ntrain train images skipped, not readable (the first: f/2/zz_bad.png: unknown image type)"
mkdir "$T/f/empty"
bad 1 "genc: error: f/empty/: a class folder with no images (PNG, JPEG or BMP)"
rmdir "$T/f/empty"
cp "$T/f/2/zz_bad.png" "$T/f/loose.png"
bad 1 "genc: error: f/: holds both images (loose.png) and folders (0/): put every file in a class folder, or remove the folders"
rm "$T/f/loose.png"
sed 's|classes: 10|classes: 9|' "$T/img.g" > "$T/nine.g"
expect_status 1 sh -c "cd '$T' && '$genc' run nine.g --steps 1 --quiet --out bad --restart"
expect_err "genc: error: f/: 10 class folders, but nine.g declares classes: 9"
mkdir "$T/none"
sed 's|"f/"|"none/"|' "$T/img.g" > "$T/none.g"
expect_status 1 sh -c "cd '$T' && '$genc' run none.g --steps 1 --quiet --out bad --restart"
expect_err "genc: error: none/: no images (PNG, JPEG or BMP) and no class folders"
mkdir "$T/junk" && cp "$T/f/2/zz_bad.png" "$T/junk/a.png" && cp "$T/f/2/zz_bad.png" "$T/junk/b.png"
sed 's|"f/"|"junk/"|; s|, classes: 10||; s|data x, y|data x|; s|cross_entropy(C(x), y)|sum(C(x))|' "$T/img.g" > "$T/junk.g"
expect_status 1 sh -c "cd '$T' && '$genc' run junk.g --steps 1 --quiet --out bad --restart"
expect_err "genc: error: junk/: none of the train images could be read (the first: junk/a.png: "
sed 's|batch 16|batch 300|' "$T/img.g" > "$T/big.g"
expect_status 2 sh -c "cd '$T' && '$genc' run big.g --steps 1 --quiet --out bad --restart"
expect_err "genc: error: big.g: batch 300 is larger than the $((ntrain - 2)) training images of images"
sed 's|shift: 2|shift: 2, holdout: 0|' "$T/img.g" > "$T/all.g"
(cd "$T" && "$genc" run all.g --steps 1 --quiet) 2> "$T/err" || fail "images, holdout 0: $(head -3 "$T/err")"
expect_status 1 sh -c "cd '$T' && '$genc' eval all.g"
expect_err "genc: error: f/: no test images (holdout: 0 holds none out)"

# ---- text() ----
i=0
while [ $i -lt 200 ]; do
    printf 'Voix ambiguë d\342\200\231un cœur qui, au zéphyr, préfère les jattes de kiwis. %d\n' $((i % 10))
    i=$((i + 1))
done > "$T/t.txt"
cat > "$T/text.g" <<'G'
let V = 45
data x, y ~ text("t.txt", context: 16, vocabulary: V)
net M(x: [16]) -> [16, V] { embedding(V, 16) -> dense(V) -> softmax }
min M: E[cross_entropy(M(x), y)]
train { batch 8 }
G
(cd "$T" && "$genc" run text.g --steps 200 --quiet && "$genc" eval text.g) > "$T/out" 2> "$T/err" ||
    fail "text: $(head -3 "$T/err")"
grep -q "^text.g on [0-9]* test windows of 16 characters (text)$" "$T/out" || fail "text: eval says: $(head -1 "$T/out")"
# after 200 steps the held-out loss is well below a uniform guess (ln 45 = 3.8),
# and is given in bits too
awk '/loss M/ { ok = $3 < 3.0 && $4 == "(" sprintf("%.4f", $3 / log(2)) } END { exit !ok }' "$T/out" ||
    fail "text: the held-out loss did not fall, or is not in bits: $(cat "$T/out")"
sed 's/V = 45/V = 46/' "$T/text.g" > "$T/v46.g"
expect_status 1 sh -c "cd '$T' && '$genc' run v46.g --steps 1 --quiet"
expect_err "genc: error: t.txt has 45 different characters, but v46.g declares vocabulary: 46"
printf 'caf\351 au lait\n' > "$T/latin1.txt"
sed 's/t.txt/latin1.txt/' "$T/text.g" > "$T/latin1.g"
expect_status 1 sh -c "cd '$T' && '$genc' run latin1.g --steps 1 --quiet"
expect_err "genc: error: latin1.txt: not UTF-8 text: byte 3 (line 1) is 0xE9; genc reads text as UTF-8 characters"
printf 'abcd%.0s' $(seq 25) > "$T/short.txt"
sed 's/t.txt/short.txt/; s/V = 45/V = 4/' "$T/text.g" > "$T/short.g"
(cd "$T" && "$genc" run short.g --steps 1 --quiet) 2> "$T/err" || fail "text, short: $(head -3 "$T/err")"
expect_status 1 sh -c "cd '$T' && '$genc' eval short.g"
expect_err "genc: error: short.txt: the test text is 10 characters, too short for one window of 16 and its next character"

# ---- wav() ----
for d in 0 1 2; do
    mkdir -p "$T/s/$d"
    for k in 1 2 3 4 5 6 7 8 9 10; do
        sox -n -r 8000 -b 16 -c 1 "$T/s/$d/$k.wav" synth 0.$k sine $((200 + 300 * d + 7 * k)) 2> /dev/null ||
            { fail "sox cannot make a test sound"; break 2; }
    done
done
# a stereo clip is averaged to one channel
sox -n -r 8000 -b 16 -c 2 "$T/s/2/stereo.wav" synth 0.3 sine 900 2> /dev/null
cat > "$T/snd.g" <<'G'
data x, y ~ wav("s/", rate: 8000, length: 1024, classes: 3)
net C(x: [1, 1024]) -> [3] { conv1d(8, 16, stride: 8) -> relu -> flatten -> dense(3) -> softmax }
min C: E[cross_entropy(C(x), y)]
train { batch 8 }
G
(cd "$T" && "$genc" run snd.g --steps 60 --quiet && "$genc" eval snd.g) > "$T/out" 2> "$T/err" ||
    fail "wav: $(head -3 "$T/err")"
grep -q "^snd.g on 3 test sounds (wav)$" "$T/out" || fail "wav: eval says: $(head -1 "$T/out")"
grep -q "accuracy   1.0000" "$T/out" || fail "wav: three tones are not told apart: $(cat "$T/out")"
# bad files are skipped, each kind named
sox -n -r 8000 -e floating-point -b 32 -c 1 "$T/s/0/zz_float.wav" synth 0.2 sine 300 2> /dev/null
sox -n -r 16000 -b 16 -c 1 "$T/s/1/zz_rate.wav" synth 0.2 sine 300 2> /dev/null
head -c 1000 "$T/s/2/10.wav" > "$T/s/2/zz_cut.wav"
printf 'RIFX' > "$T/s/2/zz_not.wav"
for f in zz_float zz_rate zz_cut zz_not; do
    d=$(ls -d "$T"/s/*/$f.wav)
    mkdir -p "$T/solo/a" && rm -f "$T"/solo/a/* && cp "$d" "$T/solo/a/"
    sed 's|"s/"|"solo/"|; s|, classes: 3||; s|data x, y|data x|; s|cross_entropy(C(x), y)|sum(C(x))|' "$T/snd.g" > "$T/solo.g"
    expect_status 1 sh -c "cd '$T' && '$genc' run solo.g --steps 1 --quiet --restart"
    case $f in
    zz_float) expect_err "genc: error: solo/: none of the train sounds could be read (the first: solo/a/zz_float.wav: not 16-bit PCM (floating point, 32 bits); convert it with sox IN.wav -b 16 -e signed-integer OUT.wav)" ;;
    zz_rate) expect_err "genc: error: solo/: none of the train sounds could be read (the first: solo/a/zz_rate.wav: 16000 samples per second, but the model reads 8000; genc does not resample: sox IN.wav -r 8000 OUT.wav)" ;;
    zz_cut) expect_err "genc: error: solo/: none of the train sounds could be read (the first: solo/a/zz_cut.wav: truncated: the data chunk says 1600 bytes, fewer follow)" ;;
    zz_not) expect_err "genc: error: solo/: none of the train sounds could be read (the first: solo/a/zz_not.wav: not a WAV file (no RIFF/WAVE header))" ;;
    esac
done
finish
