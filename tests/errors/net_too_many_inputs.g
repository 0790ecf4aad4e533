# A net with 17 inputs; the limit is 16 (a call with them all overflowed a
# fixed array in sema before this was checked).
z ~ normal(2)
net N(a0: [2], a1: [2], a2: [2], a3: [2], a4: [2], a5: [2], a6: [2], a7: [2], a8: [2], a9: [2], a10: [2], a11: [2], a12: [2], a13: [2], a14: [2], a15: [2], a16: [2]) -> [2] { dense(2) }
min N: E[sum(N(z, z, z, z, z, z, z, z, z, z, z, z, z, z, z, z, z))]
