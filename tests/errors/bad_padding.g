# A padding that is neither same, valid nor a number.
data x ~ mnist(train)
net D(x: [1, 28, 28]) -> [1] { conv(8, 3, padding: full) -> flatten -> dense(1) }
min D: E[D(x)]
