# Convolutional variational autoencoder (Kingma and Welling 2013) on MNIST:
# the encoder and decoder of vae_mnist.g replaced by small conv nets.
#
#   genc run models/conv_vae_mnist.g
#   genc sample models/conv_vae_mnist.g --interpolate --out lines.png
#
# On the 9,000-digit training split: 10 epochs in about 45 s on 2 cores,
# test loss 114.5 nats per image, below vae_mnist's 120.5 (docs/results.md).

let nz = 20

data x ~ mnist(train, range: [0, 1])
eps ~ normal(nz)

block down(c) { conv(c, 4, stride: 2) -> relu }
block up(c)   { deconv(c, 4, stride: 2) -> relu }

net Enc(x: [1, 28, 28]) -> (mu: [nz], logvar: [nz]) {
    h = x -> down(32) -> down(64) -> flatten -> dense(256) -> relu
    mu = dense(h, nz)
    logvar = dense(h, nz)
}

net Dec(z: [nz]) -> [1, 28, 28] {
    dense(256) -> relu -> dense(64 * 7 * 7) -> relu -> reshape(64, 7, 7)
    up(32)
    deconv(1, 4, stride: 2) -> sigmoid
}

let mu, logvar = Enc(x)
let z = mu + exp(logvar / 2) * eps

min Enc, Dec: E[bce(Dec(z), x) + kl_normal(mu, logvar)]

train {
    batch 128   epochs 10   seed 1
    optimizer adam(lr: 1e-3)
    sample Dec(eps)
    encode mu                             # a test image's code, for --interpolate
}
