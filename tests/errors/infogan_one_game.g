# InfoGAN written as the game plus a second objective for G: G cannot be a
# player twice, and the body D and Q share belongs to no player; the
# messages say how to write it (docs/language.md, section 11)
data x ~ mnist(train, range: [-1, 1])
z ~ normal(62)
c ~ categorical(10)
net G(z: [62], c: []) -> [1, 28, 28] {
    h = concat(z, onehot(c, 10))
    dense(h, 784) -> tanh -> reshape(1, 28, 28)
}
net Body(x: [1, 28, 28]) -> [64] { flatten -> dense(64) -> leaky_relu(0.2) }
net D(x: [1, 28, 28]) -> [1] { Body(x) -> dense(1) -> sigmoid }
net Q(x: [1, 28, 28]) -> [10] { Body(x) -> dense(10) -> softmax }
min G max D: E[log D(x)] + E[log(1 - D(G(z, c)))]   nonsaturating
min G, Q: E[cross_entropy(Q(G(z, c)), c)]
train { sample G(z, c) }
