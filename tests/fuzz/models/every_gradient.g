# gradients through log, sqrt, powers, division, bce on both sides, slices
data x ~ mnist(train, range: [0, 1])
z ~ normal(8)
net A(z: [8]) -> (p: [4], q: [4]) {
    h = dense(z, 4) -> sigmoid
    p = log(h + 1) + sqrt(softplus(h) + 1) + h ^ 1 + h ^ 2 + 1 / (h + 2)
    q = dense(z, 4) -> sigmoid
}
net B(x: [1, 28, 28]) -> [4] { flatten -> dense(4) -> sigmoid -> batchnorm -> dropout(0.2) }
let p, q = A(z)
min A, B: E[bce(q, B(x)) + bce(B(x), q) + sum(p) + l1(q, p) + kl_normal(p, q)]
train { steps A: 2  clip A: 0.1  grad_clip 3  optimizer rmsprop(centered: true, momentum: 0.5) }
