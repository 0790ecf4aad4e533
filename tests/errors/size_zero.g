# A layer with zero units.
data x ~ mnist(train)
net D(x: [1, 28, 28]) -> [1] { flatten -> dense(0) -> dense(1) -> sigmoid }
min D: E[log D(x)]
