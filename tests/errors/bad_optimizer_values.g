# Out-of-range optimizer options: beta1 must be below 1, lr must be positive.
data x ~ mnist(train)
net D(x: [1, 28, 28]) -> [1] { flatten -> dense(1) -> sigmoid }
min D: E[log D(x)]
train {
    optimizer adam(lr: 0, beta1: 1.5)
}
