# A 1-D convolution has one dilation, not a pair.
x ~ normal([4, 32])
net F(x: [4, 32]) -> [4, 32] { conv1d(4, 3, dilation: [2, 2]) }
min F: E[sum(F(x))]
