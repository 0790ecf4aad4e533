# embedding given a vector per example, not a class index.
z ~ normal(10)
net D(x: [10]) -> [4] { embedding(vocabulary: 10, dimension: 4) }
min D: E[sum(D(z))]
