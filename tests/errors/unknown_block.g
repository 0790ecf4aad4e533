# A settings block with the wrong name.
z ~ normal(10)
net D(x: [10]) -> [1] { dense(1) }
min D: E[D(z)]
training { batch 32 }
