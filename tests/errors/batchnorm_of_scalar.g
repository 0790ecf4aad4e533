# batchnorm of one number per example.
z ~ normal(10)
net D(x: [10]) -> [] { sum -> batchnorm }
min D: E[D(z)]
