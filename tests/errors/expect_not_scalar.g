# E[...] of an image per example: it needs one number per example.
data x ~ mnist(train)
z ~ normal(100)
net G(z: [100]) -> [1, 28, 28] { dense(784) -> reshape(1, 28, 28) }
min G: E[(G(z) - x) ^ 2]
