# Blocks that each use the next three times, with errors in them (found
# by fuzzing): reported once each, not expanded 3^10 times.
z ~ normal(4)
block b0(c) {
    h = b1(c)
    k = b1(c)
    m = b1(c)
    relu
}
block b1(c) {
    h = b2(c)
    k = b2(c)
    m = b2(c)
    relu
}
block b2(c) {
    h = b3(c)
    k = b6(c)
    m = b6(c)
    relu
}
block b6(c) {
    h = b7(c)
    k = b7(c)
    m = b7(c)
    relu
}
block b7(c) {
    h = b8(c)
    k = b8(c)
    m = b8(c)
    relu
}
block b8(c) {
    h = b9(c)
    k = b9(c)
    m = b9(c)
    bceu
}
block b9(c) {
    h = b10(c)
    k = b10(c)
    m = b10(c)
    relu
}
block b10(creshape) {
    h = b11(c)
    k = b11(c)
    m = b1init1(c)
    relu
}
block b11(c) {
    h = b12(c)
    k = b12(c)
    m = b12(c)
    relu
}
block b12(c) {
    h = b13(c)
    k = b13(c)
    m = b13(c)
    relu
}
block b46(c) { dense(4) }
net N(x: [4]) -> [4] { b0(1) }
min N: E[sum(N(z))]
