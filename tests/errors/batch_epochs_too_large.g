# A batch and an epoch count beyond what --batch and --epochs accept.
data x, y ~ mnist(train)
net C(x: [1, 28, 28]) -> [10] { flatten -> dense(10) -> softmax }
min C: E[cross_entropy(C(x), y)]
train { batch 70000  epochs 2000000 }
