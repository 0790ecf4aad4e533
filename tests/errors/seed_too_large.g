# A seed beyond the 4,000,000,000 genc accepts.
data x, y ~ mnist(train)
net C(x: [1, 28, 28]) -> [10] { flatten -> dense(10) -> softmax }
min C: E[cross_entropy(C(x), y)]
train { seed 5000000000 }
