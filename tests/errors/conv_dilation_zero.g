# A dilation of 0: taps must be at least 1 apart.
data x ~ mnist(train)
net D(x: [1, 28, 28]) -> [1] { conv(8, 3, dilation: 0) -> flatten -> dense(1) }
min D: E[D(x)]
