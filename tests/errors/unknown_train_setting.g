# A misspelt train setting: epoch instead of epochs.
data x ~ mnist(train)
net D(x: [1, 28, 28]) -> [1] { flatten -> dense(1) -> sigmoid }
min D: E[log D(x)]
train {
    batch 64   epoch 3
}
