# A noise shape of five dimensions: tensors have at most four.
z ~ normal([1, 2, 3, 4, 5])
net D(x: [10]) -> [1] { dense(1) }
min D: E[D(z)]
