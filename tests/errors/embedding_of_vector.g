# embedding of a vector per example gives a row for each entry, [10, 4], not the [4] declared.
z ~ normal(10)
net D(x: [10]) -> [4] { embedding(vocabulary: 10, dimension: 4) }
min D: E[sum(D(z))]
