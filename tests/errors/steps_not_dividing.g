# steps D: 3, G: 2 cannot be scheduled: 2 does not divide 3.
data x ~ mnist(train)
z ~ normal(100)
net G(z: [100]) -> [1, 28, 28] { dense(784) -> tanh -> reshape(1, 28, 28) }
net D(x: [1, 28, 28]) -> [1] { flatten -> dense(1) }
min G max D: E[D(x)] - E[D(G(z))]
train {
    steps D: 3, G: 2
}
