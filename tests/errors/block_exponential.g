# Blocks that each use the next one three times: 3^13 dense layers. The
# compiler stops at its size limit (it used to run out of stack).
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
    k = b3(c)
    m = b3(c)
    relu
}
block b3(c) {
    h = b4(c)
    k = b4(c)
    m = b4(c)
    relu
}
block b4(c) {
    h = b5(c)
    k = b5(c)
    m = b5(c)
    relu
}
block b5(c) {
    h = b6(c)
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
    relu
}
block b9(c) {
    h = b10(c)
    k = b10(c)
    m = b10(c)
    relu
}
block b10(c) {
    h = b11(c)
    k = b11(c)
    m = b11(c)
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
block b13(c) { dense(4) }
net N(x: [4]) -> [4] { b0(1) }
min N: E[sum(N(z))]
