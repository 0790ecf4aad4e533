# A classifier of 20 parameters: its checkpoint is about 1 KB, smaller
# than the log of a few hundred steps (tests/e2e/hostile.sh: a log row cut
# by the file size limit).
data x, y ~ mnist(train)

net C(x: [1, 28, 28]) -> [10] {
    avgpool(28) -> flatten -> dense(10) -> softmax
}

min C: E[cross_entropy(C(x), y)]

train {
    batch 16   epochs 1   seed 1
    optimizer sgd(lr: 0.1)
}
