# A learning rate above the 10^6 that --lr, the lr setting and an
# optimizer's lr: all accept.
data x ~ mnist(train)
z ~ normal(8)
net G(z: [8]) -> [1, 28, 28] { dense(784) -> reshape(1, 28, 28) }
net D(x: [1, 28, 28]) -> [1] { flatten -> dense(1) }
min G max D: E[D(x)] - E[D(G(z))]
train {
    lr 2e6
    optimizer D: adam(lr: 2e6)
}
