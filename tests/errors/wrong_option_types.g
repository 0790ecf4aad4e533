# Options of the wrong type: a string for a size, a list for a rate, a
# misspelt word for a slope. Each line has its own input, so each is reported.
data x ~ mnist(train)
net D(x: [1, 28, 28]) -> [1] {
    a = x -> flatten -> dense("128")
    b = x -> flatten -> dropout([0.5])
    c = x -> flatten -> leaky_relu(steep)
    x -> flatten -> dense(1) -> sigmoid
}
min D: E[log D(x)]
