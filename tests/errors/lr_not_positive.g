# A learning rate of 0, for every player and then for one.
data x ~ mnist(train)
z ~ normal(8)
net G(z: [8]) -> [1, 28, 28] { dense(784) -> reshape(1, 28, 28) }
net D(x: [1, 28, 28]) -> [1] { flatten -> dense(1) }
min G max D: E[D(x)] - E[D(G(z))]
train {
    lr 0
    lr D: -1e-4, G: 2e-4
    lr Q: 1e-4
}
