# A number after '->'.
z ~ normal(10)
net D(x: [10]) -> [1] { dense(1) -> 2 }
min D: E[D(z)]
