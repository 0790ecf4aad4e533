# A misspelt layer: deconvv instead of deconv.
data x ~ mnist(train, range: [-1, 1])
z ~ normal(100)
net G(z: [100]) -> [1, 28, 28] {
    dense(7*7*64) -> reshape(64, 7, 7)
    deconvv(32, 4, stride: 2) -> relu
    deconv(1, 4, stride: 2) -> tanh
}
min G: E[mse(G(z), x)]
