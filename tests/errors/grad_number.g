# grad differentiates a value of the model, not a number.
x ~ normal(5)
net F(x: [5]) -> [1] { dense(1) }
min F: E[F(x)] + E[sum(grad(3, x))]
