# A net named like a builtin layer (dense) and noise named like a builtin (normal).
data x ~ mnist(train)
normal ~ normal(100)
net dense(z: [100]) -> [1, 28, 28] { dense(784) -> reshape(1, 28, 28) }
