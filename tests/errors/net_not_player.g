# D has weights and the objective uses it, but only G is a player.
data x ~ mnist(train)
z ~ normal(100)
net G(z: [100]) -> [1, 28, 28] { dense(784) -> tanh -> reshape(1, 28, 28) }
net D(x: [1, 28, 28]) -> [1] { flatten -> dense(1) -> sigmoid }
min G: E[log(1 - D(G(z)))]
