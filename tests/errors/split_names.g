# split into 3 parts, unpacked into 2 names.
x ~ normal([12, 5])
net F(x: [12, 5]) -> [4, 5] {
    h = dense(x, 5)
    q, k = split(h, 0, 3)
    q * k
}
min F: E[sum(F(x))]
