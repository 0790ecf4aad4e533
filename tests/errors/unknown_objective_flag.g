# A misspelt objective flag: nonsaturated.
data x ~ mnist(train)
z ~ normal(100)
net G(z: [100]) -> [1, 28, 28] { dense(784) -> tanh -> reshape(1, 28, 28) }
net D(x: [1, 28, 28]) -> [1] { flatten -> dense(1) -> sigmoid }
min G max D: E[log D(x)] + E[log(1 - D(G(z)))]  nonsaturated
