# A model with nets and data but no objective: nothing says what to train.
data x ~ mnist(train)
z ~ normal(100)
net G(z: [100]) -> [1, 28, 28] { dense(784) -> tanh -> reshape(1, 28, 28) }
