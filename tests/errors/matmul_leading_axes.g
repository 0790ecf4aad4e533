# heads of 4 against heads of 3: the axes before the last two must broadcast.
x ~ normal([4, 5, 6])
y ~ normal([3, 6, 5])
net F(x: [4, 5, 6], y: [3, 6, 5]) -> [1] {
    matmul(x, y) -> flatten -> dense(1)
}
min F: E[F(x, y)^2]
