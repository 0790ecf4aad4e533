# A net without weights cannot be trained: P only applies a sigmoid.
data x ~ mnist(train)
z ~ normal(100)
net G(z: [100]) -> [1, 28, 28] { dense(784) -> reshape(1, 28, 28) }
net P(x: [1, 28, 28]) -> [1, 28, 28] { sigmoid }
min G max P: E[mse(P(G(z)), x)]
