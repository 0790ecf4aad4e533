# dense takes units, bias and init: a fourth positional argument is one too many.
data x ~ mnist(train)
net D(x: [1, 28, 28]) -> [1] {
    flatten -> dense(1, true, 7, 8) -> sigmoid
}
min D: E[log D(x)]
