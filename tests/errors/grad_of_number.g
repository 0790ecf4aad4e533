# grad's second argument must be a value of the model, not a number.
x ~ normal(5)
net F(x: [5]) -> [1] { dense(1) }
min F: E[sum(grad(F(x), 3))]
