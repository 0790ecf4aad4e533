# A positional argument after a keyword one.
z ~ normal(10)
net D(x: [10]) -> [1] { dense(bias: false, 1) }
min D: E[D(z)]
