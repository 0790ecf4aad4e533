# a spectrally normalised weight is divided by its largest singular value:
# from zeros, that is 0 / 0. scale(init: zeros) starts a branch at zero.
x ~ normal([8, 4, 4])
net D(x: [8, 4, 4]) -> [8, 4, 4] {
    y = conv(8, 1, init: zeros, spectral_norm: true)
    x + y
}
min D: E[sum(D(x))^2]
