# A model reads one data source.
data x ~ mnist(train)
data f ~ fashion_mnist(train)
