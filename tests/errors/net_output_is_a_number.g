# A named output bound to a number (found by fuzzing: genc crashed reading
# the number's shape). Every other kind of value is refused the same way.
z ~ normal(4)

net G(z: [4]) -> (a: [4], b: [4]) {
    a = z -> dense(4)
    b = 1
}

let a, b = G(z)
min G: E[sum(a^2)]
