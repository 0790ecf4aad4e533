# A convolution without padding whose kernel (5) is larger than its input (2x2).
data x ~ mnist(train)
net D(x: [1, 28, 28]) -> [1] {
    conv(8, 4, stride: 4, padding: valid)    # 28 -> 7
    conv(8, 4, stride: 2, padding: valid)    # 7 -> 2
    conv(8, 5, padding: valid)               # 2x2 < 5x5: nothing left
    flatten -> dense(1) -> sigmoid
}
min D: E[log D(x)]
