# A small conditional GAN that uses most layers (conv, deconv, batchnorm,
# layernorm, dropout, pooling, upsampling, concat, embedding), trained by
# genc 0.1.0 before the op table was rebuilt: its checkpoint in this folder
# must still load, resume and sample the same (tests/e2e/legacy.sh).
data x, y ~ mnist(train, range: [-1, 1])
z ~ normal(8)
c ~ categorical(10)

net G(z: [8], c: []) -> [1, 28, 28] {
    e = embedding(c, 10, 4)
    concat(z, e) -> dense(2 * 7 * 7) -> reshape(2, 7, 7)
    deconv(3, 4, stride: 2) -> batchnorm -> leaky_relu(0.2)
    upsample(2) -> conv(1, 3) -> tanh
}

net D(x: [1, 28, 28], c: [10]) -> [1] {
    h = x -> conv(4, 3, stride: 2) -> layernorm -> elu -> maxpool(2) -> avgpool(1)
    concat(flatten(h), c) -> dropout(0.3) -> dense(1) -> sigmoid
}

min G max D: E[log D(x, onehot(y, 10))] + E[log(1 - D(G(z, c), onehot(c, 10)))]  nonsaturating

train {
    batch 16   epochs 1   seed 3
    optimizer adam(lr: 2e-4, beta1: 0.5)
    sample G(z, c)
}
