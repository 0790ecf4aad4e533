# SNGAN on MNIST (Miyato, Kataoka, Koyama and Yoshida 2018, "Spectral
# Normalization for Generative Adversarial Networks"): dcgan_mnist's
# generator against a discriminator whose every layer is spectrally
# normalised (its Lipschitz constant bounded by 1), trained with the hinge
# loss (Lim and Ye 2017), as the paper's best runs were; G's weights are
# averaged (ema), and the averages draw the samples.
#
#   genc run models/sngan_mnist.g
#
# On the 9,000-digit training split: 20 epochs in 902 s on 2 cores (the
# machine partly shared; about 35 s an epoch alone); judged by
# classifier_mnist: confident 0.65, coverage 0.99, fd 120 with the averaged
# weights and 111 with the trained ones, where dcgan_mnist reaches 0.66,
# 0.97, 163 (docs/results.md).

data x ~ mnist(train, range: [-1, 1])
z    ~ normal(100)

net G(z: [100]) -> [1, 28, 28] {
    dense(7*7*256, bias: false) -> batchnorm -> leaky_relu(0.2)
    reshape(256, 7, 7)
    deconv(128, 5, stride: 1, bias: false) -> batchnorm -> leaky_relu(0.2)
    deconv(64, 5, stride: 2, bias: false)  -> batchnorm -> leaky_relu(0.2)
    deconv(1, 5, stride: 2, bias: false)   -> tanh
}

net D(x: [1, 28, 28]) -> [1] {
    conv(64, 5, stride: 2, spectral_norm: true) -> leaky_relu(0.1)
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
