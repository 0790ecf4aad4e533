# A GAN with the R1 penalty on MNIST (Mescheder, Geiger and Nowozin 2018,
# "Which Training Methods for GANs do actually Converge?"): the
# discriminator pays (gamma / 2) * ||grad_x D(x)||^2 on real images,
# gamma = 10 (as the paper's; 5 epochs with gamma 1, 10 and 100 gave fd
# 376, 287 and 296). The networks are dcgan_mnist's, the
# discriminator without its dropout and with its sigmoid written in the
# objective, where the penalty differentiates its logit.
#
#   genc run models/r1_gan_mnist.g
#
# On the 9,000-digit training split: 15 epochs in about 10 minutes on 2
# idle cores (dcgan_mnist's 20 take as long); judged by classifier_mnist:
# confident 0.65, coverage 0.98, fd 124, where dcgan_mnist reaches 0.66,
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

net D(x: [1, 28, 28]) -> [1] {             # the logit of "x is real"
    conv(64, 5, stride: 2) -> leaky_relu(0.2)
    conv(128, 5, stride: 2) -> leaky_relu(0.2)
    flatten -> dense(1)
}

# Goodfellow et al.'s value function, minus the penalty, which only D's
# phase sees: it does not depend on G.
let r1 = norm(grad(D(x), x)) ^ 2
min G max D:  E[log sigmoid(D(x))] + E[log(1 - sigmoid(D(G(z))))] - 5 * E[r1]  nonsaturating

train {
    batch 64   epochs 15   seed 1
    optimizer adam(lr: 2e-4, beta1: 0.5, beta2: 0.999)
    init normal(0, 0.02)
    sample G(z)
}
