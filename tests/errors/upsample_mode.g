# upsample is nearest or bilinear; a 1-D convolution takes [channels, length].
x ~ normal([2, 4, 4])
net F(x: [2, 4, 4]) -> [1] {
    a = upsample(x, mode: linear)
    b = conv1d(x, 4, 3)
    flatten(x) -> dense(1)
}
min F: E[F(x)^2]
