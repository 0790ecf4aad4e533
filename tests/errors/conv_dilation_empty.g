# A dilated kernel (3 taps, 4 apart: it spans 9 pixels) wider than a 7x7 input.
data x ~ mnist(train)
net D(x: [1, 28, 28]) -> [1] {
    conv(8, 4, stride: 4, padding: valid)            # 28 -> 7
    conv(8, 3, dilation: 4, padding: valid)          # spans 9 > 7
    flatten -> dense(1) -> sigmoid
}
min D: E[log D(x)]
