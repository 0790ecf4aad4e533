# A model whose parameters alone need 54 GB, 163 GB with Adam's state
# (more than any machine genc's tests run on has): refused before anything
# is allocated, with its size (tests/e2e/hostile.sh).
data x ~ mnist(train, range: [-1, 1])
z ~ normal(100)

net G(z: [100]) -> [1, 28, 28] {
    dense(44000) -> relu -> dense(44000) -> relu -> dense(44000) -> relu
    dense(44000) -> relu -> dense(44000) -> relu -> dense(44000) -> relu
    dense(44000) -> relu -> dense(44000) -> relu
    dense(784) -> tanh -> reshape(1, 28, 28)
}

net D(x: [1, 28, 28]) -> [1] {
    flatten -> dense(1) -> sigmoid
}

min G max D: E[log D(x)] + E[log(1 - D(G(z)))]

train {
    batch 64   epochs 1   seed 1
    sample G(z)
}
