# A 1-D convolution's padding: same, valid or a number (there is no pair).
x ~ normal([4, 32])
net F(x: [4, 32]) -> [4, 32] { conv1d(4, 3, padding: full) }
min F: E[sum(F(x))]
