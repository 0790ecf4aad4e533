# A distribution used inside a net.
z ~ normal(10)
net D(x: [10]) -> [1] { dense(1, init: xavier) -> normal(1) }
min D: E[D(z)]
