# An option inside a list.
net D(x: [a: 10]) -> [1] { dense(1) }
z ~ normal(10)
min D: E[D(z)]
