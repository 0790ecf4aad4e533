# ema's decay must lie strictly between 0 and 1
data x ~ mnist(train, range: [-1, 1])
z ~ normal(10)
net G(z: [10]) -> [1, 28, 28] { dense(784) -> tanh -> reshape(1, 28, 28) }
net D(x: [1, 28, 28]) -> [1] { flatten -> dense(1) -> sigmoid }
min G max D: E[log D(x)] + E[log(1 - D(G(z)))]
train { ema G: 1.5 ema_start 2.5 }
