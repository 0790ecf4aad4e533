# An image folder gives grey or colour images, not four channels.
data x ~ images("photos/", shape: [4, 32, 32])
net D(x: [4, 32, 32]) -> [1] { flatten -> dense(1) }
min D: E[D(x)]
