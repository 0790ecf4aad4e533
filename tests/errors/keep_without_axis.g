# keep: true keeps the summed axis; without an axis there is none to keep,
# and a vector of one value per example has no axis to sum along.
x ~ normal([4, 5])
net F(x: [4, 5]) -> [] {
    t = sum(x, keep: true)
    u = sum(x) -> mean(axis: 0)
    sum(x)
}
min F: E[F(x)^2]
