# softmax of one number per example.
z ~ normal(10)
net D(x: [10]) -> [1] { sum -> softmax }
min D: E[sum(D(z))]
