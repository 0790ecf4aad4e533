# An optimizer name nothing like any optimizer.
z ~ normal(10)
net D(x: [10]) -> [1] { dense(1) }
min D: E[D(z)]
train { optimizer lbfgs_tr }
