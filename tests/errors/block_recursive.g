# A block that uses itself: an infinite network. One error (it used to
# repeat the message down 16 levels, and to hang when the block used itself
# on several lines).
z ~ normal(4)
block a(c) {
    h = a(c)
    k = a(c)
    m = a(c)
    relu
}
net N(x: [4]) -> [4] { a(1) }
min N: E[sum(N(z))]
