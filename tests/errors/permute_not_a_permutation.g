# permute names every axis once: (0, 0, 1) repeats one, (1, 0) leaves one out.
x ~ normal([2, 3, 4])
net F(x: [2, 3, 4]) -> [1] {
    a = permute(x, 0, 0, 1)
    b = permute(x, 1, 0)
    flatten(x) -> dense(1)
}
min F: E[F(x)^2]
