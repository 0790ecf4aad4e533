# An objective that is one value per example: E[...] is missing.
z ~ normal(10)
net G(z: [10]) -> [1] { dense(1) }
min G: sum(G(z))
