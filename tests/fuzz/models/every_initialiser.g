# every initialiser, as a layer option and as the train block's default,
# and every optimizer with its options
data x ~ mnist(train)
z ~ normal(8)
net G(z: [8]) -> [1, 28, 28] {
    dense(16, init: xavier(gain: 2)) -> relu
    dense(32, init: xavier_normal(gain: 0.5)) -> leaky_relu(0.2)
    dense(49, init: kaiming(slope: 0.2)) -> reshape(1, 7, 7)
    deconv(4, 4, stride: 2, padding: 1, init: kaiming_normal(slope: 0.1))
    deconv(1, 4, stride: 2, padding: 1, init: uniform(-0.05, 0.05)) -> tanh
}
net D(x: [1, 28, 28]) -> [1] {
    conv(4, 3, stride: 2, init: normal(0, 0.01)) -> relu
    flatten -> dense(1, init: zeros) -> sigmoid
}
min G max D: E[log D(x)] + E[log(1 - D(G(z)))]
train {
    batch 8  epochs 1  seed 3
    init xavier
    optimizer G: adamw(lr: 2e-4, beta1: 0.5), D: sgd(lr: 0.01, momentum: 0.9, nesterov: true)
    grad_clip G: 5
}
