# concat of more than 32 tensors in one call.
z ~ normal(1)
net D(x: [1]) -> [1] { dense(1) }
min D: E[sum(concat(z,z,z,z,z,z,z,z,z,z,z,z,z,z,z,z,z,z,z,z,z,z,z,z,z,z,z,z,z,z,z,z,z))]
