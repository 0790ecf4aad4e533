# More than 1000 steps for one player.
z ~ normal(10)
net D(x: [10]) -> [1] { dense(1) }
min D: E[D(z)]
train { steps D: 5000 }
