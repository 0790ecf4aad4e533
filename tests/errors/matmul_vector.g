# a vector per example is not a matrix: matmul asks for a reshape.
x ~ normal(8)
net F(x: [8]) -> [1] {
    a = dense(8)
    matmul(a, x) -> dense(1)
}
min F: E[F(x)^2]
