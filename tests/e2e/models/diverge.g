# A model whose loss runs off to infinity after a few steps: gradient
# ascent on exp(...), for the non-finite loss test (tests/e2e/nonfinite.sh).
data x ~ mnist(train)

net F(x: [1, 28, 28]) -> [1] {
    flatten -> dense(1)
}

min F: -E[exp(10 * F(x))]

train {
    batch 16   epochs 1   seed 1
    optimizer sgd(lr: 0.5)
}
