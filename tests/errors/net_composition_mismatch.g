# G makes 32x32 images, D judges 28x28 ones: D(G(z)) does not fit.
data x ~ mnist(train)
z ~ normal(100)
net G(z: [100]) -> [1, 32, 32] { dense(1024) -> tanh -> reshape(1, 32, 32) }
net D(x: [1, 28, 28]) -> [1] { flatten -> dense(1) -> sigmoid }
min G max D: E[log D(x)] + E[log(1 - D(G(z)))]
