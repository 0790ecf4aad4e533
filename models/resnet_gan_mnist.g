# A residual GAN on MNIST, after the ResNet generator and discriminator of
# SNGAN (Miyato et al. 2018, appendix B; Gulrajani et al. 2017) sized for
# 28x28 digits: G grows 7x7 to 28x28 in two residual blocks that upsample,
# D shrinks it in two that pool, every layer of D spectrally normalised,
# and sees the batch's standard deviation before its last layer; the
# hinge loss; D learning four times as fast as G (the two time-scale rule,
# Heusel et al. 2017) with Adam's beta1 0 (as BigGAN); G's weights
# averaged (ema).
#
#   genc run models/resnet_gan_mnist.g
#   genc eval models/resnet_gan_mnist.g --judge models/classifier_mnist.g
#
# On the 9,000-digit training split: 20 epochs in 2,981 s on one thread
# of a shared 2-core machine; judged by classifier_mnist: confident 0.63,
# coverage 0.99, fd 106 with the averaged weights, 0.68, 0.99, 88 with the
# trained ones: as sagan_mnist (0.65, 0.99, 106), ahead of sngan_mnist
# (0.65, 0.99, 120) in these 20 epochs (docs/results.md).

data x ~ mnist(train, range: [-1, 1])
z    ~ normal(128)

# G's block: batchnorm, relu, nearest upsampling, two 3x3 convolutions;
# the skip path upsampled and 1x1-convolved to the new width
block up(c)(x) {
    h = batchnorm -> relu -> upsample -> conv(c, 3) -> batchnorm -> relu -> conv(c, 3)
    (x -> upsample -> conv(c, 1)) + h
}

# D's block: two 3x3 convolutions, then 2x2 average pooling; the skip
# 1x1-convolved and pooled
block down(c)(x) {
    h = relu -> conv(c, 3, spectral_norm: true) -> relu -> conv(c, 3, spectral_norm: true) -> avgpool(2)
    (x -> conv(c, 1, spectral_norm: true) -> avgpool(2)) + h
}

# minibatch standard deviation (Karras et al. 2018): how much the batch
# varies, as one more channel, so that D can tell a collapsed G's batch
block mbstd()(x) {
    s = sqrt(E[(x - E[x]) ^ 2] + 1e-8)    # [C, H, W]: each value's standard deviation over the batch
    concat(x, mean(s))                   # one channel more, filled with their mean
}

net G(z: [128]) -> [1, 28, 28] {
    dense(7*7*64) -> reshape(64, 7, 7)
    up(64) -> up(64)                                      # [64, 28, 28]
    batchnorm -> relu -> conv(1, 3) -> tanh
}

net D(x: [1, 28, 28]) -> [1] {
    down(32) -> down(64) -> relu                          # [64, 7, 7]
    mbstd                                                 # [65, 7, 7]
    flatten -> dense(1, spectral_norm: true)
}

min D: E[relu(1 - D(x))] + E[relu(1 + D(G(z)))]
min G: -E[D(G(z))]

train {
    batch 64   epochs 20   seed 1
    optimizer adam(lr: 2e-4, beta1: 0.0, beta2: 0.999)
    lr D: 4e-4, G: 1e-4
    ema G: 0.999
    sample G(z)
}
