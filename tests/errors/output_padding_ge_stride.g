# deconv's output_padding must be smaller than its stride.
z ~ normal(100)
net G(z: [100]) -> [1, 28, 28] {
    dense(64*7*7) -> reshape(64, 7, 7)
    deconv(1, 4, stride: 2, output_padding: 2)
}
min G: E[mean(G(z))]
