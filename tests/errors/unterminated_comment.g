# A /* comment that is never closed swallows the rest of the file.
data x ~ mnist(train)
/* the generator
net G(z: [100]) -> [1, 28, 28] {
    dense(784) -> reshape(1, 28, 28)
}
