# The body of G ends with [1, 32, 32], but G is declared to return [1, 28, 28].
z ~ normal(100)
net G(z: [100]) -> [1, 28, 28] {
    dense(1024) -> reshape(1, 32, 32)
}
min G: E[mean(G(z))]
