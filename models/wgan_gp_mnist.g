# WGAN-GP on MNIST (Gulrajani, Ahmed, Arjovsky, Dumoulin and Courville
# 2017, "Improved Training of Wasserstein GANs", Algorithm 1): the
# Wasserstein critic with a gradient penalty instead of weight clipping,
# lambda = 10, 5 critic steps per generator step, Adam 1e-4 with beta1 0
# and beta2 0.9. The generator is dcgan_mnist's; the critic is its
# discriminator without the sigmoid and without dropout.
# Batch 32, not the paper's 64: twice the generator steps in the same
# time, which gave fd 174 against 220 in 10 minutes.
#
#   genc run models/wgan_gp_mnist.g
#
# On the 9,000-digit training split: 21 epochs (5,901 critic and 1,180
# generator steps) in about 10 minutes on 2 idle cores; judged by
# classifier_mnist: confident 0.57, coverage 0.99, fd 172, where
# wgan_mnist (weight clipping) reaches coverage 0.96, fd 207 in the same
# time (docs/results.md compares the GANs at equal wall time).

data x ~ mnist(train, range: [-1, 1])
z    ~ normal(100)
eps  ~ uniform([], low: 0, high: 1)        # one mixing weight per example

net G(z: [100]) -> [1, 28, 28] {
    dense(7*7*256, bias: false) -> batchnorm -> leaky_relu(0.2)
    reshape(256, 7, 7)
    deconv(128, 5, stride: 1, bias: false) -> batchnorm -> leaky_relu(0.2)
    deconv(64, 5, stride: 2, bias: false)  -> batchnorm -> leaky_relu(0.2)
    deconv(1, 5, stride: 2, bias: false)   -> tanh
}

net D(x: [1, 28, 28]) -> [1] {             # the critic: a score, no sigmoid
    conv(64, 5, stride: 2) -> leaky_relu(0.2)
    conv(128, 5, stride: 2) -> leaky_relu(0.2)
    flatten -> dense(1)
}

# The critic's loss, penalised at random points between real and
# generated images; the generator's own. (One objective for both would
# make G maximise the penalty: docs/language.md, section 8.)
let xh = eps * x + (1 - eps) * G(z)
min D: E[D(G(z))] - E[D(x)] + 10 * E[(norm(grad(D(xh), xh)) - 1) ^ 2]
min G: -E[D(G(z))]

train {
    batch 32   epochs 21   seed 1
    optimizer adam(lr: 1e-4, beta1: 0, beta2: 0.9)
    steps D: 5, G: 1
    sample G(z)
}
