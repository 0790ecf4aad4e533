# A net called with a number.
z ~ normal(10)
net D(x: [10]) -> [1] { dense(1) }
min D: E[D(z)] + E[D(3)]
