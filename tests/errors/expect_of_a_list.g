# E[...] of a list of numbers: there is nothing per example to average.
z ~ normal(4)

net G(z: [4]) -> [4] { dense(4) }

min G: E[sum(G(z)^2)] + E[[1, 2]]
