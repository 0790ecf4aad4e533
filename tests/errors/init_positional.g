# An initialiser given in an option's place: it must be named (init: xavier).
data x ~ mnist(train)
net D(x: [1, 28, 28]) -> [1] {
    flatten -> dense(1, true, xavier) -> sigmoid
}
min D: E[log D(x)]
