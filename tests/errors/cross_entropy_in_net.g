# exit: 0
# Not an error: cross_entropy inside a net body. The compiler crashed on it
# (it lowered the net's body outside any call, for the classifier judge).
z ~ normal(10)
net N(x: [10]) -> [1] {
    softmax -> cross_entropy(x)
    flatten -> dense(1)
}
min N: E[N(z)]
