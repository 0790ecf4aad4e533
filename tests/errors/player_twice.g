# The same net on both sides of the game.
data x ~ mnist(train)
z ~ normal(100)
net D(x: [1, 28, 28]) -> [1] { flatten -> dense(1) -> sigmoid }
min D max D: E[log D(x)]
