# log of a negative number.
z ~ normal(10)
net D(x: [10]) -> [1] { dense(1) }
min D: E[D(z) * log(-1)]
