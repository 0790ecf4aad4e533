# A negative clip for one player.
z ~ normal(10)
net D(x: [10]) -> [1] { dense(1) }
min D: E[D(z)]
train { clip D: -0.01 }
