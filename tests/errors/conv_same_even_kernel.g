# padding: same cannot keep the size of a conv with an even kernel at
# stride 1: the two sides would need different padding.
z ~ normal([3, 28, 28])
net F(x: [3, 28, 28]) -> [8, 28, 28] {
    conv(8, 4)
}
min F: E[sum(F(z))]
