#!/bin/sh
# generate.sh: writes the cases of tests/errors/ that are too big or too
# binary to write by hand. Deterministic; the outputs are committed, so this
# only needs running again to change them (then tests/errors.sh --update).
#
#   deep_nesting.g    20000 nested parentheses: past the parser's stack
#   long_chain.g      a sum of 10000 terms: past the expression depth limit
#   binary_garbage.g  a comment line, then 1024 bytes of pseudo-random binary
#   non_text_bytes.g  a model with a NUL, a 0xff and an escape character in it
#   too_many_declarations.g  10001 lets: past the limit on a model's size
set -eu
cd "$(dirname "$0")"

{
    echo "# 20000 nested parentheses: more than the parser can hold (one error, no crash)."
    printf 'let a = '
    awk 'BEGIN { for (i = 0; i < 20000; i++) printf "("; printf "1"; for (i = 0; i < 20000; i++) printf ")"; print "" }'
} > deep_nesting.g

{
    echo "# A sum of 10000 terms: deeper than the 200 levels an expression may have."
    echo "z ~ normal(4)"
    echo "net N(x: [4]) -> [4] { dense(4) }"
    awk 'BEGIN { printf "min N: E[sum(N(z)"; for (i = 1; i < 10000; i++) printf " + N(z)"; print ")]" }'
} > long_chain.g

# bytes from the ZX81 linear congruential generator, written as octal
# escapes for printf(1) so that no awk has to print raw bytes
{
    echo "# Not a model at all: 1024 bytes of binary garbage after this line."
    # shellcheck disable=SC2059 # the format is the data: octal escapes only
    printf "$(awk 'BEGIN { x = 12345; for (i = 0; i < 1024; i++) { x = (x * 75 + 74) % 65537; printf "\\%03o", x % 256 } }')"
} > binary_garbage.g

{
    echo "# Bytes that are not text inside a model: NUL, 0xff and ESC."
    printf 'z ~ normal(100)\000\n'
    printf 'net G(z: [100]) -> [1] { dense(1) \377}\n'
    printf 'min G: E[G(z)] \033\n'
} > non_text_bytes.g

{
    echo "# 10001 declarations: more than a model may have (name lookups are linear;"
    echo "# a generated file of a million lines used to take minutes)."
    awk 'BEGIN { print "let a0 = 1"; for (i = 1; i <= 10000; i++) printf "let a%d = a0\n", i }'
} > too_many_declarations.g
