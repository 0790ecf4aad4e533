# The same option given twice.
z ~ normal(10)
net D(x: [10]) -> [1] { dense(1, bias: false, bias: true) }
min D: E[D(z)]
