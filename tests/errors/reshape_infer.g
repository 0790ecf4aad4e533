# reshape infers one size given as -1 from the others; a second -1, or a
# size that does not divide the values, is an error.
x ~ normal([6, 4, 4])
net F(x: [6, 4, 4]) -> [1] {
    a = reshape(x, 6, -1)
    b = reshape(x, 5, -1)
    c = reshape(x, -1, -1)
    flatten(a) -> dense(1)
}
min F: E[F(x)^2]
