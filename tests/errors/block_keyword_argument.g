# A block called with a keyword argument.
z ~ normal(10)
block lin(n) { dense(n) }
net D(x: [10]) -> [1] { lin(n: 1) }
min D: E[D(z)]
