# conv without its kernel size: conv(16) needs conv(16, 3).
data x ~ mnist(train)
net D(x: [1, 28, 28]) -> [1] {
    conv(16) -> relu -> flatten -> dense(1) -> sigmoid
}
min D: E[log D(x)]
