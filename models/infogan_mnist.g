# InfoGAN on MNIST (Chen, Duan, Houthooft, Schulman, Sutskever and Abbeel
# 2016, "InfoGAN: Interpretable Representation Learning by Information
# Maximizing GANs"), with the paper's MNIST networks: G is told a 10-way
# code c besides its noise; Q, a head on D's body, guesses c back from
# the image, and both G and Q minimise Q's cross-entropy (the mutual
# information's lower bound, lambda 1), so that c comes to mean something
# of the image. No labels are read. The body is shared: it trains with D
# (docs/language.md section 11, "Shared nets and auxiliary terms").
#
#   genc run models/infogan_mnist.g
#   genc eval models/infogan_mnist.g --judge models/classifier_mnist.g
#
# On the 9,000-digit training split: 20 epochs in 760 s on 2 cores (the
# machine partly shared); judged by classifier_mnist: confident 0.86,
# coverage 0.99, fd 29, the best of genc's GANs that read no labels; the
# code is the digit for 36% of samples (matching codes to digits one to
# one; aim: 85%): it has found some digits (4, 5, 8) and not the others.
# The PyTorch twin: docs/results.md.

data x ~ mnist(train, range: [-1, 1])
z ~ normal(62)
c ~ categorical(10)                        # the code; rows of the grid

net G(z: [62], c: []) -> [1, 28, 28] {
    concat(z, onehot(c, 10)) -> dense(1024, bias: false) -> batchnorm -> relu
    dense(7*7*128, bias: false) -> batchnorm -> relu -> reshape(128, 7, 7)
    deconv(64, 4, stride: 2, padding: 1, bias: false) -> batchnorm -> relu
    deconv(1, 4, stride: 2, padding: 1) -> tanh
}

net Body(x: [1, 28, 28]) -> [1024] {
    conv(64, 4, stride: 2, padding: 1) -> leaky_relu(0.1)
    conv(128, 4, stride: 2, padding: 1, bias: false) -> batchnorm -> leaky_relu(0.1)
    flatten -> dense(1024, bias: false) -> batchnorm -> leaky_relu(0.1)
}
net D(x: [1, 28, 28]) -> [1] { Body(x) -> dense(1) -> sigmoid }
net Q(x: [1, 28, 28]) -> [10] {
    Body(x) -> dense(128, bias: false) -> batchnorm -> leaky_relu(0.1) -> dense(10) -> softmax
}

let info = E[cross_entropy(Q(G(z, c)), c)]      # -L_I, up to the code's entropy
min D, Body: -(E[log D(x)] + E[log(1 - D(G(z, c)))]) + info
min G, Q: -E[log D(G(z, c))] + info

train {
    batch 64   epochs 20   seed 1
    optimizer D: adam(lr: 2e-4, beta1: 0.5), G: adam(lr: 1e-3, beta1: 0.5)
    sample G(z, c)
}
