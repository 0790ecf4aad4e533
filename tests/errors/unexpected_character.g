# A character that is not part of the language: '@' (and '$').
data x ~ mnist(train)
z ~ normal(100)
net G(z: [100]) -> [1] { dense(1) @ sigmoid }
min G: E[G(z)] $
