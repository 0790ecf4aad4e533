# An objective that is a list.
z ~ normal(10)
net D(x: [10]) -> [1] { dense(1) }
min D: [1, 2]
