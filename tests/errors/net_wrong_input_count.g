# D takes an image and a label, but is called with the image only.
data x, y ~ mnist(train)
net D(x: [1, 28, 28], c: [10]) -> [1] {
    h = x -> flatten
    concat(h, c) -> dense(1) -> sigmoid
}
min D: E[log D(x)]
