# A reshape whose product of sizes overflows a 32-bit int.
z ~ normal(100)
net G(z: [100]) -> [1] {
    reshape(65536, 65536, 100) -> flatten -> dense(1)
}
min G: E[G(z)]
