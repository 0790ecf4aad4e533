# '^' needs a number as its exponent, not a tensor.
z ~ normal(10)
net G(z: [10]) -> [10] { dense(10) }
min G: E[sum(2 ^ G(z))]
