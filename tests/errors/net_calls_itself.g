# A net that calls itself.
z ~ normal(10)
net G(z: [10]) -> [10] { dense(10) -> G }
min G: E[sum(G(z))]
