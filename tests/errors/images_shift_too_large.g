# A shift as large as the image leaves nothing of it.
data x ~ images("photos/", shape: [3, 32, 32], shift: 32)
net D(x: [3, 32, 32]) -> [1] { flatten -> dense(1) }
min D: E[D(x)]
