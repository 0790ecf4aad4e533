# Options of the wrong type: a string for a size, a list for a rate,
# a word for a slope.
data x ~ mnist(train)
net D(x: [1, 28, 28]) -> [1] {
    flatten -> dense("128") -> relu
    dropout([0.5]) -> leaky_relu(steep)
    dense(1) -> sigmoid
}
min D: E[log D(x)]
