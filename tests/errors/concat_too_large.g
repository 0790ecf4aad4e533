# concat grows an axis past the limit of 10^9 (found by fuzzing: the sum of
# the sizes overflowed an int).
z ~ normal(1000000000)
net N(x: [1000000000]) -> [1] {
    h = concat(x, x)
    concat(h, x) -> sum
}
min N: E[N(z)]
