# A number beyond the range of a double: 1e999.
let big = 1e999
data x ~ mnist(train)
