# Wasserstein GAN (Arjovsky, Chintala and Bottou 2017): a linear critic,
# five critic steps per generator step, weight clipping and RMSprop, as in
# Algorithm 1 of the paper.
#
#   genc run models/wgan_mnist.g
#
# On the 9,000-digit training split: 200 epochs in about 5 minutes on 2
# cores; judged by classifier_mnist: confident 0.54, coverage 0.93, fd 363
# (docs/results.md).

data x ~ mnist(train, range: [-1, 1])
z ~ normal(100)

net G(z: [100]) -> [1, 28, 28] {
    dense(256) -> relu
    dense(512) -> relu
    dense(784) -> tanh -> reshape(1, 28, 28)
}

net D(x: [1, 28, 28]) -> [1] {            # the critic: no sigmoid
    flatten -> dense(512) -> leaky_relu(0.2)
    dense(256) -> leaky_relu(0.2)
    dense(1)
}

min G max D: E[D(x)] - E[D(G(z))]

train {
    batch 64   epochs 200   seed 1
    optimizer rmsprop(lr: 5e-5)
    steps D: 5, G: 1
    clip D: 0.01
    sample G(z)
}
