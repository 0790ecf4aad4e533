# gan_mlp_mnist with the researcher's toolkit: spectral norm in D, the
# hinge loss, a warm-up and cosine decay of G's learning rate, and the
# averages of G's weights (tests/e2e/gan_learns.sh)
data x ~ mnist(train, range: [-1, 1])
z ~ normal(100)

net G(z: [100]) -> [1, 28, 28] {
    dense(128) -> leaky_relu(0.01)
    dense(784) -> tanh
    reshape(1, 28, 28)
}

net D(x: [1, 28, 28]) -> [1] {
    flatten -> dense(128, spectral_norm: true) -> leaky_relu(0.01)
    dense(1, spectral_norm: true)
}

min D: E[relu(1 - D(x))] + E[relu(1 + D(G(z)))]
min G: -E[D(G(z))]

train {
    batch 64   epochs 8   seed 1
    optimizer adam(lr: 4e-4, beta1: 0.5)
    lr G: cosine(4e-4, 1e-4, warmup: 100)
    ema G: 0.99
    sample G(z)
}
