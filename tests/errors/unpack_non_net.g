# Several names given to something that is not a net call.
z ~ normal(10)
let a, b = z
net D(x: [10]) -> [1] { dense(1) }
min D: E[D(a)]
