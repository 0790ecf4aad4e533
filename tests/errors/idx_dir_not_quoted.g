# idx's directory is a path, written in quotes.
data x ~ idx(train)

net D(x: [1, 28, 28]) -> [1] { flatten -> dense(1) }

min D: E[sum(D(x)^2)]
