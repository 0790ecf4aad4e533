# A misspelt initialiser in a layer's init: option.
data x ~ mnist(train)
net D(x: [1, 28, 28]) -> [1] {
    flatten -> dense(128, init: xavierr) -> relu -> dense(1) -> sigmoid
}
min D: E[log D(x)]
