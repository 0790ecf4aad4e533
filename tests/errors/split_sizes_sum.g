# The sizes of the parts must add up to the axis's length.
x ~ normal([12, 5])
net F(x: [12, 5]) -> [5, 5] {
    h = dense(x, 5)
    a, b = split(h, 0, [5, 6])
    a
}
min F: E[sum(F(x))]
