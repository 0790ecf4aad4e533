# A net with no '{' before its body.
z ~ normal(100)
net G(z: [100]) -> [10]
    dense(10)
}
