# A power too large for a number.
z ~ normal(10)
net D(x: [10]) -> [1] { dense(1) }
min D: E[D(z) * 10 ^ 1000]
