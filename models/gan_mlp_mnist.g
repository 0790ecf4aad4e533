# The original GAN (Goodfellow et al. 2014, "Generative Adversarial Nets")
# with small multilayer perceptrons, on MNIST.
#
#   genc run models/gan_mlp_mnist.g
#
# On the 9,000-digit training split: 100 epochs in about a minute on 2
# cores; judged by classifier_mnist, 49% of its samples are confident
# digits, coverage 0.91, fd 341 (docs/results.md). The specks around the
# digits come with this small model: PyTorch's twin draws them too.

data x ~ mnist(train, range: [-1, 1])
z ~ normal(100)

net G(z: [100]) -> [1, 28, 28] {
    dense(128) -> leaky_relu(0.01)
    dense(784) -> tanh
    reshape(1, 28, 28)
}

net D(x: [1, 28, 28]) -> [1] {
    flatten -> dense(128) -> leaky_relu(0.01)
    dense(1) -> sigmoid
}

min G max D: E[log D(x)] + E[log(1 - D(G(z)))]  nonsaturating

train {
    batch 64   epochs 100  seed 1
    optimizer adam(lr: 1e-4, beta1: 0.5)
    sample G(z)
}
