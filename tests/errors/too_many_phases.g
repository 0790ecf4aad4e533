# Five games of two players each: ten phases, more than genc trains.
data x ~ mnist(train)
z ~ normal(4)
net G1(z: [4]) -> [1, 28, 28] { dense(784) -> reshape(1, 28, 28) }
net G2(z: [4]) -> [1, 28, 28] { dense(784) -> reshape(1, 28, 28) }
net G3(z: [4]) -> [1, 28, 28] { dense(784) -> reshape(1, 28, 28) }
net G4(z: [4]) -> [1, 28, 28] { dense(784) -> reshape(1, 28, 28) }
net G5(z: [4]) -> [1, 28, 28] { dense(784) -> reshape(1, 28, 28) }
net D1(x: [1, 28, 28]) -> [1] { flatten -> dense(1) }
net D2(x: [1, 28, 28]) -> [1] { flatten -> dense(1) }
net D3(x: [1, 28, 28]) -> [1] { flatten -> dense(1) }
net D4(x: [1, 28, 28]) -> [1] { flatten -> dense(1) }
net D5(x: [1, 28, 28]) -> [1] { flatten -> dense(1) }
min G1 max D1: E[D1(x)] - E[D1(G1(z))]
min G2 max D2: E[D2(x)] - E[D2(G2(z))]
min G3 max D3: E[D3(x)] - E[D3(G3(z))]
min G4 max D4: E[D4(x)] - E[D4(G4(z))]
min G5 max D5: E[D5(x)] - E[D5(G5(z))]
