# Square brackets after a name other than E.
z ~ normal(10)
net D(x: [10]) -> [1] { dense(1) }
min D: E[D(z)] + mean[D(z)]
