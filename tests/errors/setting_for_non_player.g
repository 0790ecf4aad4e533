# A per-player setting for a net that plays no objective.
z ~ normal(10)
net D(x: [10]) -> [1] { dense(1) }
net G(x: [10]) -> [10] { dense(10) }
min D: E[D(z)]
train { clip G: 0.01 }
