# dense on an image: it needs flatten first.
data x ~ mnist(train)
net D(x: [1, 28, 28]) -> [1] {
    dense(128) -> relu -> dense(1) -> sigmoid
}
min D: E[log D(x)]
