# Syntax errors in three declarations: each is reported once, and the lines
# between them are still read.
data x ~ mnist(train))
z ~ normal(100)
net G(z: [100]) -> [1, 28, 28] {
    dense(784) -> -> tanh
    reshape(1, 28, 28)
}
min G: E[mse(G(z), x)] +
