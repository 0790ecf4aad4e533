# attention scores of queries and keys of different widths: the inner
# sizes of the product differ.
data x ~ mnist(train)
net D(x: [1, 28, 28]) -> [1] {
    h = conv(64, 4, stride: 2) -> reshape(64, 196)
    q = conv(x, 32, 4, stride: 2) -> reshape(32, 196)
    s = matmul(transpose(h), transpose(q))
    matmul(h, q)
    flatten -> dense(1)
}
min D: E[D(x)^2]
