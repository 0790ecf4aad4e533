# A dropout rate outside [0, 1).
z ~ normal(10)
net D(x: [10]) -> [1] { dense(1) -> dropout(1.5) }
min D: E[D(z)]
