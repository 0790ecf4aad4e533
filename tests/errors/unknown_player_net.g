# A per-player setting naming a net that does not exist; the hint only
# considers nets (not the data x).
data x ~ mnist(train)
z ~ normal(100)
net G(z: [100]) -> [1, 28, 28] { dense(784) -> tanh -> reshape(1, 28, 28) }
net D(x: [1, 28, 28]) -> [1] { flatten -> dense(1) }
min G max D: E[D(x)] - E[D(G(z))]
train {
    clip X: 0.01, d: 0.01
}
