# reshape without the new shape.
z ~ normal(10)
net D(x: [10]) -> [10] { reshape }
min D: E[sum(D(z))]
