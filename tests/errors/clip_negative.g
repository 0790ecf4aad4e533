# A negative clip.
z ~ normal(10)
net D(x: [10]) -> [1] { dense(1) }
min D: E[D(z)]
train { clip -0.01 }
