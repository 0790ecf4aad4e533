# A data range from high to low.
data x ~ mnist(train, range: [1, -1])
net D(x: [1, 28, 28]) -> [1] { flatten -> dense(1) }
min D: E[D(x)]
