# A kernel size typed with extra digits: the weights would hold more values
# than genc allows (found by fuzzing: the sizes overflowed an int in lowering).
data x ~ mnist(train)
net D(x: [1, 28, 28]) -> [1] {
    conv(64, 5) -> relu
    conv(128, 55555) -> flatten -> dense(1) -> sigmoid
}
min D: E[log D(x)]
