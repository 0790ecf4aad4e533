# A misspelt optimizer: adma.
data x ~ mnist(train)
net D(x: [1, 28, 28]) -> [1] { flatten -> dense(1) -> sigmoid }
min D: E[log D(x)]
train {
    optimizer adma(lr: 1e-3)
}
