# Seven objectives of one player each: seven phases, more than genc trains
# (genc 0.1.0 accepted this file and crashed in genc run).
z ~ normal(4)
net N1(z: [4]) -> [1] { dense(1) }
net N2(z: [4]) -> [1] { dense(1) }
net N3(z: [4]) -> [1] { dense(1) }
net N4(z: [4]) -> [1] { dense(1) }
net N5(z: [4]) -> [1] { dense(1) }
net N6(z: [4]) -> [1] { dense(1) }
net N7(z: [4]) -> [1] { dense(1) }
min N1: E[N1(z) ^ 2]
min N2: E[N2(z) ^ 2]
min N3: E[N3(z) ^ 2]
min N4: E[N4(z) ^ 2]
min N5: E[N5(z) ^ 2]
min N6: E[N6(z) ^ 2]
min N7: E[N7(z) ^ 2]
