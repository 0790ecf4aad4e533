# Variational autoencoder (Kingma and Welling 2013, "Auto-Encoding
# Variational Bayes"): the 784-400-20 MLP of the PyTorch VAE example.
# The loss is the negative ELBO in nats per image: the sum over pixels of
# the Bernoulli cross-entropy, plus the KL divergence to N(0, I).
#
#   genc run models/vae_mnist.g
#
# On the 9,000-digit training split: 10 epochs in about 8 s on 2 cores,
# test loss 120.5 nats per image, as PyTorch's twin of this model trained
# the same way (bench/vae_compare.sh; docs/results.md).

data x ~ mnist(train, range: [0, 1])
eps ~ normal(20)

net Enc(x: [1, 28, 28]) -> (mu: [20], logvar: [20]) {
    h = x -> flatten -> dense(400) -> relu
    mu = dense(h, 20)
    logvar = dense(h, 20)
}

net Dec(z: [20]) -> [1, 28, 28] {
    dense(400) -> relu
    dense(784) -> reshape(1, 28, 28) -> sigmoid
}

let mu, logvar = Enc(x)
let z = mu + exp(logvar / 2) * eps        # the reparameterisation trick

min Enc, Dec: E[bce(Dec(z), x) + kl_normal(mu, logvar)]

train {
    batch 128   epochs 10   seed 1
    optimizer adam(lr: 1e-3)
    sample Dec(eps)                       # decoded draws from the prior
    encode mu                             # a test image's code, for --interpolate
}
