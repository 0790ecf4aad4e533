# An optimizer used inside a net.
z ~ normal(10)
net D(x: [10]) -> [1] { dense(1) -> adam }
min D: E[D(z)]
