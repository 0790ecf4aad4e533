# Holding out all of the images leaves nothing to train on.
data x ~ images("photos/", shape: [1, 28, 28], holdout: 1)
net D(x: [1, 28, 28]) -> [1] { flatten -> dense(1) }
min D: E[D(x)]
