# An option given to a layer that has none.
z ~ normal(10)
net D(x: [10]) -> [1] { dense(1) -> sigmoid(2) }
min D: E[D(z)]
