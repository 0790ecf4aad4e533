# DCGAN on MNIST (Radford, Metz and Chintala 2015, "Unsupervised
# Representation Learning with Deep Convolutional GANs"), sized for 28x28
# digits as in the TensorFlow DCGAN tutorial.
#
#   genc run models/dcgan_mnist.g
#
# On the 9,000-digit training split: 20 epochs in about 10 minutes on 2
# idle cores; judged by classifier_mnist, the averages of G's weights (ema)
# reach confident 0.64 (aim: 0.85), coverage 0.98, fd 123; the trained
# weights (--raw-weights) 0.66, 0.97, 163; 0.80 confident after 200 epochs
# (docs/results.md).

data x ~ mnist(train, range: [-1, 1])      # x: [1, 28, 28] per example
z    ~ normal(100)                         # noise, drawn fresh each step

net G(z: [100]) -> [1, 28, 28] {
    dense(7*7*256, bias: false) -> batchnorm -> leaky_relu(0.2)
    reshape(256, 7, 7)
    deconv(128, 5, stride: 1, bias: false) -> batchnorm -> leaky_relu(0.2)
    deconv(64, 5, stride: 2, bias: false)  -> batchnorm -> leaky_relu(0.2)
    deconv(1, 5, stride: 2, bias: false)   -> tanh
}

net D(x: [1, 28, 28]) -> [1] {
    conv(64, 5, stride: 2) -> leaky_relu(0.2) -> dropout(0.3)
    conv(128, 5, stride: 2) -> leaky_relu(0.2) -> dropout(0.3)
    flatten -> dense(1) -> sigmoid
}

# The value function of Goodfellow et al. (2014), written as in the paper.
min G max D:  E[log D(x)] + E[log(1 - D(G(z)))]    nonsaturating

train {
    batch 64   epochs 20   seed 1
    optimizer adam(lr: 2e-4, beta1: 0.5, beta2: 0.999)
    init normal(0, 0.02)
    ema G: 0.99                            # the averaged G draws the samples
    sample G(z)                            # an 8x8 PNG grid per epoch
}
