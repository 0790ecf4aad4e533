# A '->' with nothing on its left.
z ~ normal(100)
net G(z: [100]) -> [10] {
    -> dense(10)
}
