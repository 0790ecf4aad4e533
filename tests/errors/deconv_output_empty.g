# A transposed convolution whose padding eats its whole output.
z ~ normal(4)

net G(z: [4]) -> [2, 1, 1] {
    reshape(4, 1, 1)
    deconv(2, 1, padding: 1)
}

min G: E[sum(G(z)^2)]
