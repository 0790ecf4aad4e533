# a schedule's length in steps and in epochs at once; warmup and step_decay without one
data x ~ mnist(train, range: [0, 1])
let a = linear(1, 0, steps: 100, epochs: 2)
let b = warmup(1e-3)
let c = step_decay(1e-3, 0.5)
net F(x: [1, 28, 28]) -> [1] { flatten -> dense(1) }
min F: E[F(x) ^ 2] * a
