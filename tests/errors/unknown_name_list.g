# an unknown name with no near miss lists the names defined there
data x ~ mnist(train, range: [-1, 1])
z ~ normal(10)
let k = 3
net F(x: [1, 28, 28]) -> [1] { flatten -> dense(1) }
min F: E[F(x) ^ 2] + E[sum(qq)]
train { batch 64 momentum 0.9 }
