# cross_entropy of images, not class probabilities.
data x, y ~ mnist(train)
net C(x: [1, 28, 28]) -> [1, 28, 28] { flatten -> dense(784) -> reshape(1, 28, 28) }
min C: E[cross_entropy(C(x), y)]
