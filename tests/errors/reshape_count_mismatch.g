# reshape(1, 28, 28) needs 784 values but dense gives 700.
z ~ normal(100)
net G(z: [100]) -> [1, 28, 28] {
    dense(700) -> reshape(1, 28, 28)
}
min G: E[mean(G(z))]
