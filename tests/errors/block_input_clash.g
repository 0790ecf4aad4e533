# a block's named input and its parameters share one scope: the input
# cannot take a parameter's name.
x ~ normal([4, 3, 3])
block res(x)(x) {
    h = conv(4, 3) -> relu
    x + h
}
net F(x: [4, 3, 3]) -> [4, 3, 3] { res(4) }
min F: E[sum(F(x))^2]
