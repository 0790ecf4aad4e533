# The block down takes one argument (the filters) but is given two.
data x ~ mnist(train)
block down(c) { conv(c, 4, stride: 2) -> relu }
net D(x: [1, 28, 28]) -> [1] {
    down(32, 4) -> flatten -> dense(1) -> sigmoid
}
min D: E[log D(x)]
