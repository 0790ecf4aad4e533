# grad of a value that does not depend on the value it is taken with
# respect to: F(x) has nothing to do with z.
x ~ normal(5)
z ~ normal(5)
net F(x: [5]) -> [1] { dense(1) }
min F: E[sum(grad(F(x), z))]
