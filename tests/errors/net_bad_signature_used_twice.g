# A net whose input shape has an undefined name, called twice: one error,
# not one per call (found by fuzzing: the second call re-read the shapes,
# reporting them again and leaking the first copy).
data x ~ mnist(train)
z ~ normal(20)
net Dec(z: [nz]) -> [1, 28, 28] { dense(784) -> sigmoid -> reshape(1, 28, 28) }
min Dec: E[bce(Dec(z), x)] + E[bce(Dec(z), x)]
