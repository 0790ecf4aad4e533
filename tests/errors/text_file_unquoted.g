# A text file's name goes in quotes.
data x, y ~ text(kjv, context: 64, vocabulary: 73)
net M(x: [64]) -> [64, 73] { embedding(73, 16) -> dense(73) -> softmax }
min M: E[cross_entropy(M(x), y)]
