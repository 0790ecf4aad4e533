# D's output does not read its input, so nothing G does can change the
# objective: G would never train.
data x ~ mnist(train, range: [-1, 1])
z ~ normal(16)

net G(z: [16]) -> [1, 28, 28] {
    dense(784) -> tanh -> reshape(1, 28, 28)
}

net D(x: [1, 28, 28]) -> [1] {
    h = flatten(x) -> dense(8)
    dense(z, 1) -> sigmoid
}

min G max D: E[log D(x)] + E[log(1 - D(G(z)))]
