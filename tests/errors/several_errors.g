# Several independent mistakes in one file: each is reported once, in order.
data x ~ mnist(tarin)
z ~ normal(100)
net G(z: [100]) -> [1, 28, 28] {
    dense(128) -> relu
    dense(784) -> tanhh -> reshape(1, 28, 28)
}
net D(x: [1, 28, 28]) -> [1] { flatten -> dense(1, bias: 3, strid: 2) -> sigmoid }
min G max D: E[log D(x)] + E[log(1 - D(G(z)))]
train {
    batch 0
    optimiser adam
}
