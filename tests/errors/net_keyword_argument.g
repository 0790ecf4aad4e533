# A net called with a keyword argument.
z ~ normal(10)
net D(x: [10]) -> [1] { dense(1) }
min D: E[D(x: z)]
