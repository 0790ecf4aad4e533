# A small convolutional classifier for MNIST digits (LeCun et al. 1998 in
# spirit). Besides being a model of its own, it is the judge that
# `genc eval --judge` uses to score generated digits.
#
#   genc run models/classifier_mnist.g
#
# On the 9,000-digit training split: 8 epochs in about 45 s on 2 cores,
# 97.8% accuracy on the 1,000 test digits (docs/results.md).

data x, y ~ mnist(train, range: [0, 1])

net C(x: [1, 28, 28]) -> [10] {
    conv(32, 3) -> relu -> maxpool(2)
    conv(64, 3) -> relu -> maxpool(2)
    flatten -> dense(128) -> relu -> dropout(0.25)
    dense(10) -> softmax
}

min C: E[cross_entropy(C(x), y)]

train {
    batch 64   epochs 8   seed 1
    optimizer adam(lr: 1e-3)
}
