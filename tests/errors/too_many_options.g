# dense takes units, bias, init and spectral_norm: a fifth positional argument is one too many.
data x ~ mnist(train)
net D(x: [1, 28, 28]) -> [1] {
    flatten -> dense(1, true, 7, true, 8) -> sigmoid
}
min D: E[log D(x)]
