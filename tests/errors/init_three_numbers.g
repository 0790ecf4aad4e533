# normal as an initialiser with three numbers.
z ~ normal(10)
net D(x: [10]) -> [1] { dense(1) }
min D: E[D(z)]
train { init normal(0, 0.02, 1) }
