# A dataset declared as noise (without 'data'), and noise declared with 'data'.
x ~ mnist(train)
data z ~ normal(100)
