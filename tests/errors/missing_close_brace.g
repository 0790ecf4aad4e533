# A net whose closing '}' is missing: the error comes at the next
# declaration, with a note saying where the open '{' is.
z ~ normal(100)
net G(z: [100]) -> [10] {
    dense(10) -> relu

min G: E[sum(G(z))]
