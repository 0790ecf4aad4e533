# wav() needs the sample rate its files must have.
data x ~ wav("clips/", length: 8192)
net D(x: [1, 8192]) -> [1] { conv1d(8, 9, stride: 4) -> flatten -> dense(1) }
min D: E[D(x)]
