# A number after '~'.
z ~ 100
net D(x: [10]) -> [1] { dense(1) }
min D: E[D(z)]
