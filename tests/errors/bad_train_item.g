# A train setting written with '=' instead of a space: batch = 64.
data x ~ mnist(train)
train {
    batch = 64
    epochs 2
}
