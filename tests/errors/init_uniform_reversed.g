# uniform initialiser with low above high.
z ~ normal(10)
net D(x: [10]) -> [1] { dense(1) }
min D: E[D(z)]
train { init uniform(0.1, -0.1) }
