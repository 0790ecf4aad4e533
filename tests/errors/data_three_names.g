# A dataset gives images and labels: a third name has nothing to hold.
data x, y, w ~ mnist(train)

net D(x: [1, 28, 28]) -> [1] { flatten -> dense(1) }

min D: E[sum(D(x)^2)]
