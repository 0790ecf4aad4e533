# A GAN with an unsupervised categorical code (InfoGAN's, without its
# mutual-information term): the code is noise, not a label, so the judge
# reports no label agreement for it, only agreement after matching its
# values to the classes (tests/e2e/classifier_judge.sh).
data x ~ mnist(train, range: [-1, 1])
z ~ normal(16)
c ~ categorical(10)

net G(z: [16], c: []) -> [1, 28, 28] {
    concat(z, onehot(c, 10)) -> dense(64) -> leaky_relu(0.2)
    dense(784) -> tanh -> reshape(1, 28, 28)
}

net D(x: [1, 28, 28]) -> [1] {
    flatten -> dense(64) -> leaky_relu(0.2) -> dense(1) -> sigmoid
}

min G max D: E[log D(x)] + E[log(1 - D(G(z, c)))]  nonsaturating

train {
    batch 64   epochs 1   seed 1
    optimizer adam(lr: 2e-4, beta1: 0.5)
    sample G(z, c)
}
