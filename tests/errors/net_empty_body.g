# A net with nothing in its body.
z ~ normal(10)
net D(x: [10]) -> [10] { }
min D: E[sum(D(z))]
