# A list holding a tensor.
z ~ normal(10)
net D(x: [z]) -> [1] { dense(1) }
min D: E[D(z)]
