# encode must give a code that a noise source of the sample can take.
data x ~ mnist(train)
eps ~ normal(8)
net E(x: [1, 28, 28]) -> [4] { flatten -> dense(4) }
net Dec(z: [8]) -> [1, 28, 28] { dense(784) -> reshape(1, 28, 28) -> sigmoid }
min E, Dec: E[bce(Dec(eps), x)] + E[sum(E(x) * E(x))]
train {
    sample Dec(eps)
    encode E(x)
}
