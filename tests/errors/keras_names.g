# option and setting names from Keras and PyTorch get genc's name; an
# error in one call of a chain does not hide the next call's
data x ~ mnist(train, range: [-1, 1])
net F(x: [1, 28, 28]) -> [1] {
    conv(8, kernel_size: 3, strides: 2) -> leaky_relu(negative_slope: 0.2)
    conv(8, 3, use_bias: false) -> leaky_relu(alpha: 0.2)
    flatten -> dropout(rate: 0.3) -> dense(units: 1)
}
min F: E[F(x) ^ 2]
train { learning_rate 1e-3 batch_size 32 lr_decay 0.5 }
