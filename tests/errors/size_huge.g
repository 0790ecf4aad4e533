# A size beyond genc's limit of 10^9 per dimension.
z ~ normal(3000000000)
net G(z: [10]) -> [1] { dense(1) }
min G: E[G(z)]
