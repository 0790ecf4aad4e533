# a schedule given as an optimizer's option instead of its own lr setting
data x ~ mnist(train, range: [0, 1])
net F(x: [1, 28, 28]) -> [1] { flatten -> dense(1) }
min F: E[F(x)^2]
train { optimizer adam(lr: cosine(1e-3, 0)) }
