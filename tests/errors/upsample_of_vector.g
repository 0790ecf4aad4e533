# upsample of a vector, not an image.
z ~ normal(10)
net D(x: [10]) -> [20] { upsample(2) }
min D: E[sum(D(z))]
