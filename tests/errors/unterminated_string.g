# A string with no closing quote: idx("data/mnist/ runs to the end of the line.
data x ~ idx("data/mnist/, train)
z ~ normal(100)
