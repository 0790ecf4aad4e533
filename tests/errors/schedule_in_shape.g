# a schedule where the compiler needs a number: a layer's size
data x ~ mnist(train, range: [0, 1])
let n = linear(10, 20)
net F(x: [1, 28, 28]) -> [1] { flatten -> dense(n) -> dense(1) }
min F: E[F(x) ^ 2]
