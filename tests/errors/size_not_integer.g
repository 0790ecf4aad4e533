# A size that is not a whole number: 7.5 filters.
data x ~ mnist(train)
net D(x: [1, 28, 28]) -> [1] {
    conv(7.5, 3) -> flatten -> dense(1) -> sigmoid
}
min D: E[log D(x)]
