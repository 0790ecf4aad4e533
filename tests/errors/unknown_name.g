# A name that was never declared: the noise is called z, not noise.
data x ~ mnist(train)
z ~ normal(100)
net G(z: [100]) -> [1, 28, 28] { dense(784) -> reshape(1, 28, 28) }
min G: E[mse(G(noise), x)]
