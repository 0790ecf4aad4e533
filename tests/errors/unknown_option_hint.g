# A misspelt option: strid: instead of stride:.
data x ~ mnist(train)
net D(x: [1, 28, 28]) -> [1] {
    conv(16, 3, strid: 2) -> relu -> flatten -> dense(1) -> sigmoid
}
min D: E[log D(x)]
