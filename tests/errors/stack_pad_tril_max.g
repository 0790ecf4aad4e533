# stack joins tensors of one shape along a new axis; tril needs a matrix
# per example; max needs values to compare.
x ~ normal([4, 6])
y ~ normal([4, 5])
net F(x: [4, 6], y: [4, 5]) -> [1] {
    a = stack(x, y)
    b = stack(x, x, axis: 3)
    c = sum(x) -> tril
    d = sum(x) -> max
    flatten(x) -> dense(1)
}
min F: E[F(x, y)^2]
