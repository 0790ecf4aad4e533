#!/bin/sh
# layers.sh: the source folders are layers, and an #include never runs
# upward (docs/architecture.md, "The map"). From the bottom:
#
#   core     checked allocation, the clock, the limits, the thread pool
#   ir       the op table and the graph
#   io       data, checkpoints, images
#   kernels  the CPU kernels and their references (of the IR, the op
#            table only: they know nothing of graphs)
#   grammar  source text to graph: lexer, parser, sema, lower, rewrite
#   passes   the pipeline (compile), autodiff, plan
#   exec     the executor, the backends, optimizers, the RNG
#   cli      the genc command
#
# A file may include its own folder's headers and those of the folders
# below it, always as "folder/name.h" (and the generated parser.h and
# lexer.h in grammar/). Any other include fails the test: one that runs
# upward, so two folders would include each other, one without a folder,
# or one of a header that does not exist.
set -u
cd "$(dirname "$0")/.." || exit 2
layers="core ir io kernels grammar passes exec cli"
rank() {
    r=0
    for l in $layers; do
        [ "$l" = "$1" ] && { echo $r; return; }
        r=$((r + 1))
    done
    echo -1
}
bad=0
checked=0
for f in runtime/*/*.c runtime/*/*.h grammar/*.c grammar/*.h grammar/*.l grammar/*.y; do
    [ -f "$f" ] || continue
    dir=$(dirname "$f")
    own=${dir#runtime/}
    mine=$(rank "$own")
    if [ "$mine" -lt 0 ]; then
        echo "layers: $f is in $dir, which is not a layer ($layers)" >&2
        bad=1
        continue
    fi
    for inc in $(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f"); do
        checked=$((checked + 1))
        case $inc in
        parser.h | lexer.h)
            [ "$own" = grammar ] && continue
            echo "layers: $f includes the generated $inc, which is grammar's" >&2
            bad=1
            continue
            ;;
        */*) ;;
        *)
            echo "layers: $f includes \"$inc\" without its folder" >&2
            bad=1
            continue
            ;;
        esac
        folder=${inc%%/*}
        theirs=$(rank "$folder")
        if [ "$theirs" -lt 0 ]; then
            echo "layers: $f includes \"$inc\", of no layer" >&2
            bad=1
        elif [ ! -f "runtime/$inc" ] && [ ! -f "$inc" ]; then
            echo "layers: $f includes \"$inc\", which does not exist" >&2
            bad=1
        elif [ "$theirs" -gt "$mine" ]; then
            echo "layers: $f ($own) includes \"$inc\": $folder is above $own" >&2
            bad=1
        elif [ "$own" = kernels ] && [ "$folder" = ir ] && [ "$inc" != ir/ops.h ]; then
            echo "layers: $f includes \"$inc\": kernels read only the op table of the IR" >&2
            bad=1
        fi
    done
done
[ $bad = 0 ] && echo "layers: $checked includes, none upward"
exit $bad
