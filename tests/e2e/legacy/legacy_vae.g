# A small VAE with a classifier head and a mix of losses and functions
# (kl_normal, bce, mse, l1, cross_entropy, powers, sqrt, abs, softplus,
# gelu, sigmoid), trained by genc 0.1.0 before the op table was rebuilt:
# its checkpoint must still load and sample the same (tests/e2e/legacy.sh).
data x, y ~ mnist(train, range: [0, 1])
eps ~ normal(4)

net Enc(x: [1, 28, 28]) -> (mu: [4], logvar: [4]) {
    h = x -> avgpool(4) -> flatten -> dense(16) -> gelu
    mu = dense(h, 4)
    logvar = dense(h, 4) -> tanh
}

net Dec(z: [4]) -> [1, 28, 28] {
    dense(4) -> softplus -> dense(784) -> sigmoid -> reshape(1, 28, 28)
}

net C(z: [4]) -> [10] { dense(10) -> softmax }

let mu, logvar = Enc(x)
let z = mu + exp(logvar / 2) * eps
let r = Dec(z)

min Enc, Dec, C: E[bce(r, x) + kl_normal(mu, logvar) + 0.1 * mse(r, x) + 0.1 * l1(r, x)
                  + cross_entropy(C(mu), y) + 0.01 * sum(sqrt(abs(mu) + 1) ^ 2)]

train {
    batch 32   epochs 1   seed 5
    optimizer adam(lr: 1e-3)
    sample Dec(eps)
    encode mu
}
