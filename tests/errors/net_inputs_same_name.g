# A net with two inputs of the same name.
z ~ normal(10)
net D(x: [10], x: [10]) -> [1] { dense(1) }
min D: E[D(z, z)]
