# deconv keeps the size with padding: same, except with an even kernel and
# stride 1 (it would need an output_padding of 1). The error is at the layer
# (it used to name output_padding, which the user did not write, with no place).
z ~ normal([3, 8, 8])
net G(x: [3, 8, 8]) -> [8, 8, 8] { deconv(8, 4) }
min G: E[sum(G(z))]
