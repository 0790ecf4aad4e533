# A list negated.
z ~ normal(10)
net D(x: [10]) -> [1] { dense(1) }
min D: E[D(z) * -[1, 2]]
