# A list longer than any option takes; the data's names stay bound, so
# their uses are not reported again.
data x ~ mnist(train, range: [1, 2, 3, 4, 5, 6, 7, 8, 9])

net D(x: [1, 28, 28]) -> [1] { flatten -> dense(1) }

min D: E[sum(D(x)^2)]
