# cross_entropy against images instead of labels.
data x, y ~ mnist(train)
net C(x: [1, 28, 28]) -> [10] { flatten -> dense(10) -> softmax }
min C: E[cross_entropy(C(x), x)]
