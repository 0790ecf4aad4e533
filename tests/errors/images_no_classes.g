# Labels from an image folder need their number for the model's shapes.
data x, y ~ images("photos/", shape: [3, 32, 32])
net C(x: [3, 32, 32]) -> [10] { flatten -> dense(10) -> softmax }
min C: E[cross_entropy(C(x), y)]
