# batch given per player.
z ~ normal(10)
net D(x: [10]) -> [1] { dense(1) }
min D: E[D(z)]
train { batch D: 32 }
