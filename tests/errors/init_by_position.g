# A layer's initialiser given by position, not by name.
z ~ normal(10)
net D(x: [10]) -> [1] { dense(1, true, 3) }
min D: E[D(z)]
