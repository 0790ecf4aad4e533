# A player must be a net; z is noise.
data x ~ mnist(train)
z ~ normal(100)
net G(z: [100]) -> [1, 28, 28] { dense(784) -> reshape(1, 28, 28) }
min G, z: E[mse(G(z), x)]
