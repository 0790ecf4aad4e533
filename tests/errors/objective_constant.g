# An objective that is a number.
z ~ normal(10)
net D(x: [10]) -> [1] { dense(1) }
min D: 3
