# A net body line that computes a number.
z ~ normal(10)
net D(x: [10]) -> [1] {
    dense(1)
    3
}
min D: E[D(z)]
