# dense(100000*100000): the constant product is 10^10 units, far above the
# limit (it must not wrap around to a small number).
z ~ normal(100)
net G(z: [100]) -> [1] { dense(100000*100000) -> dense(1) }
min G: E[G(z)]
