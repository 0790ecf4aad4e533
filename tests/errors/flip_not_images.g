# Flipping left to right needs images, not vectors.
data x ~ idx("data/vectors/", shape: [784], flip: true)
net D(x: [784]) -> [1] { dense(1) }
min D: E[D(x)]
