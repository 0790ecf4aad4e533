# SAGAN on MNIST (Zhang, Goodfellow, Metaxas and Odena 2018, "Self-
# Attention Generative Adversarial Networks"), sized for 28x28 digits: one
# self-attention block in G and one in D, at 14x14 (196 positions, each
# of which looks at every other), spectral norm in D (its attention's
# convolutions too), the hinge loss, G's weights averaged (ema).
#
#   genc run models/sagan_mnist.g
#   genc eval models/sagan_mnist.g --judge models/classifier_mnist.g
#
# On the 9,000-digit training split: 20 epochs in 2,534 s on 2 cores (the
# machine shared with other trainings and tests); judged by
# classifier_mnist: confident 0.65, coverage 0.99, fd 106 with the
# averaged weights and 0.68, 0.99, 84 with the trained ones, where
# sngan_mnist, the same model without the two attention blocks, reaches
# 0.65, 0.99, 120 and 0.65, 0.99, 111 (docs/results.md).

data x ~ mnist(train, range: [-1, 1])
z    ~ normal(100)

# docs/language.md section 7: each use has its own weights
block attention(sn)(x) {
    c = size(x, 0)
    n = size(x, 1) * size(x, 2)                                      # positions
    q = conv(x, c / 8, 1, spectral_norm: sn) -> reshape(c / 8, n)    # queries [c/8, n]
    k = conv(x, c / 8, 1, spectral_norm: sn) -> reshape(c / 8, n)    # keys
    v = conv(x, c / 2, 1, spectral_norm: sn) -> reshape(c / 2, n)    # values
    a = softmax(matmul(transpose(q), k), axis: -1)    # a[i, j]: position i's weight on position j
    o = matmul(v, transpose(a)) -> reshape(c / 2, size(x, 1), size(x, 2))
    y = conv(c, 1, spectral_norm: sn) -> scale(init: zeros)    # gamma, from 0: at first the identity
    x + y
}

net G(z: [100]) -> [1, 28, 28] {
    dense(7*7*256, bias: false) -> batchnorm -> leaky_relu(0.2)
    reshape(256, 7, 7)
    deconv(128, 5, stride: 1, bias: false) -> batchnorm -> leaky_relu(0.2)
    deconv(64, 5, stride: 2, bias: false)  -> batchnorm -> leaky_relu(0.2)     # [64, 14, 14]
    attention(false)
    deconv(1, 5, stride: 2, bias: false)   -> tanh
}

net D(x: [1, 28, 28]) -> [1] {
    conv(64, 5, stride: 2, spectral_norm: true) -> leaky_relu(0.1)             # [64, 14, 14]
    attention(true)
    conv(128, 5, stride: 2, spectral_norm: true) -> leaky_relu(0.1)
    flatten -> dense(1, spectral_norm: true)
}

# the hinge loss, one objective per player
min D: E[relu(1 - D(x))] + E[relu(1 + D(G(z)))]
min G: -E[D(G(z))]

train {
    batch 64   epochs 20   seed 1
    optimizer adam(lr: 2e-4, beta1: 0.5, beta2: 0.999)
    init normal(0, 0.02)
    ema G: 0.999
    sample G(z)
}
