# A number on the left of '->'.
z ~ normal(10)
net D(x: [10]) -> [1] { 2 -> dense(1) }
min D: E[D(z)]
