# onehot has no gradient: a grad with respect to class labels through it
# would be silently zero.
data x, y ~ mnist(train)
net F(x: [1, 28, 28], c: []) -> [1] { concat(flatten(x), onehot(c, 10)) -> dense(1) }
min F: E[sum(grad(F(x, y), y))]
