# A noise source called like a function.
z ~ normal(10)
net D(x: [10]) -> [1] { dense(1) }
min D: E[D(z(3))]
