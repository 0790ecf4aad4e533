# uniform noise with low above high.
z ~ uniform(10, low: 1, high: -1)
net D(x: [10]) -> [1] { dense(1) }
min D: E[D(z)]
