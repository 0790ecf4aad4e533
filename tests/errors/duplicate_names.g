# Two declarations with the same name: the second G, and a let reusing z.
data x ~ mnist(train)
z ~ normal(100)
net G(z: [100]) -> [1, 28, 28] { dense(784) -> reshape(1, 28, 28) }
net G(z: [100]) -> [1, 28, 28] { dense(784) -> sigmoid -> reshape(1, 28, 28) }
let z = 3
min G: E[mse(G(z), x)]
