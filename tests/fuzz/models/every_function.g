# every elementwise function and loss on a differentiated path
data x, y ~ mnist(train, range: [0, 1])
z ~ normal(16)
u ~ uniform(16, low: 0.1, high: 2)
net N(x: [1, 28, 28], z: [16], u: [16]) -> [10] {
    h = x -> flatten -> dense(16) -> layernorm
    a = sqrt(u) + abs(z) + softplus(h) + (h ^ 3) + log(u) + exp(z / 4)
    b = elu(a, 0.5) -> gelu -> tanh -> sigmoid
    c = log_sigmoid(b) + relu(b) - leaky_relu(b, 0.1) + mean(b) + sum(b) / 3
    c -> dense(10) -> softmax
}
net M(x: [1, 28, 28]) -> [10] { flatten -> dense(10) -> log_softmax }
min N, M: E[cross_entropy(N(x, z, u), y) + mse(N(x, z, u), 0.1) + l1(M(x), -1) + bce(sigmoid(sum(M(x))), 1)] + E[sum(N(x, z, u) * onehot(y, 10))]
