# A constant divided by zero.
let n = 10
let k = n / (n - 10)
