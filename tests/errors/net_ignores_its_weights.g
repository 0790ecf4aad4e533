# A net whose output never reads its layers (found by fuzzing: it compiled,
# and training changed nothing). Its last line is the noise itself.
data x ~ mnist(train)
z ~ normal(4)

net N(x: [4]) -> [4] {
    dense(4) -> relu
    z
}

min N: E[sum(N(z))]
