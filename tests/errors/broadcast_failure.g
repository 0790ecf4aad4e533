# [B, 20] + [B, 3] do not broadcast.
z ~ normal(20)
c ~ normal(3)
net G(z: [20]) -> [20] { dense(20) }
min G: E[sum(G(z) + c)]
