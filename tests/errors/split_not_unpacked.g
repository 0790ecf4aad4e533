# split gives several tensors; used as one value it is an error.
x ~ normal([12, 5])
net F(x: [12, 5]) -> [6, 5] {
    dense(x, 5) -> split(0, 2)
}
min F: E[sum(F(x))]
