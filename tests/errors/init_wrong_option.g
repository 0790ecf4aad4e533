# normal as an initialiser with uniform's option.
z ~ normal(10)
net D(x: [10]) -> [1] { dense(1) }
min D: E[D(z)]
train { init normal(low: 0) }
