# groupnorm splits the channels into equal groups; a vector has no
# channels to group.
x ~ normal([6, 4, 4])
net F(x: [6, 4, 4]) -> [1] {
    a = groupnorm(x, 4)
    b = flatten(x) -> instancenorm
    c = conv(x, 4, [3, 3, 3])
    d = conv1d(reshape(x, 6, 16), 4, [3, 3])
    flatten(x) -> dense(1)
}
min F: E[F(x)^2]
