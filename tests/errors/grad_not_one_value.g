# grad differentiates one value per example (or a scalar), not a vector.
x ~ normal(5)
net F(x: [5]) -> [3] { dense(3) }
min F: E[sum(grad(F(x), x))]
