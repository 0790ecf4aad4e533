# E[...] of a constant: nothing to average over the batch.
let w = 3
z ~ normal(10)
net G(z: [10]) -> [1] { dense(1) }
min G: E[sum(G(z))] + E[w * 2]
