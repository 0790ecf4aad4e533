# A block used inside an expression, where nothing flows into it.
data x ~ mnist(train)
block down(c) { conv(c, 4, stride: 2) -> relu }
net D(x: [1, 28, 28]) -> [1] {
    h = flatten(down(32))
    h -> dense(1) -> sigmoid
}
min D: E[log D(x)]
