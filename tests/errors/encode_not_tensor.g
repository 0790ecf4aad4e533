# An encode setting that is a number.
z ~ normal(10)
net D(x: [10]) -> [1] { dense(1) }
min D: E[D(z)]
train { encode 3  sample D(z) }
