# A noise source where a layer goes.
z ~ normal(10)
net D(x: [10]) -> [1] { dense(1) -> z }
min D: E[D(z)]
