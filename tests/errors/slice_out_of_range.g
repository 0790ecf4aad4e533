# positions along an axis count from 0, or back from the end when
# negative; a slice must keep something; an index must name an element.
x ~ normal([4, 6])
net F(x: [4, 6]) -> [1] {
    a = slice(x, 1, 7)
    b = slice(x, 0, 3, 2)
    c = index(x, 0, 4)
    d = index(x, 1, -7)
    e = slice(x, 0, 1.5)
    flatten(x) -> dense(1)
}
min F: E[F(x)^2]
