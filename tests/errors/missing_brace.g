# A net with no '{' before its body: one error, not one per line of the body.
z ~ normal(100)
net G(z: [100]) -> [10]
    dense(10)
}
