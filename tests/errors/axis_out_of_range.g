# axes count per example, from 0 (or from -1 at the end): [B, 4, 5] has
# axes 0 and 1, so 2 and -3 are out of range; a fraction is no axis.
x ~ normal([4, 5])
net F(x: [4, 5]) -> [5, 4] {
    a = transpose(x, 0, 2)
    b = softmax(x, axis: -3)
    c = sum(x, axis: 0.5)
    transpose(x)
}
min F: E[sum(F(x))^2]
