# A negative size in a net's input shape.
z ~ normal(100)
net G(z: [-100]) -> [1] { dense(1) }
min G: E[G(z)]
