# nonsaturating without a log(1 - D(G(z))) term, in an objective whose value
# is used twice, 60 times over: the search for the term must not take 2^60 steps.
z ~ normal(4)
net G(x: [4]) -> [4] { dense(4) }
net D(x: [4]) -> [1] { dense(1) -> sigmoid }
let h0 = D(G(z))
let h1 = h0 + h0
let h2 = h1 + h1
let h3 = h2 + h2
let h4 = h3 + h3
let h5 = h4 + h4
let h6 = h5 + h5
let h7 = h6 + h6
let h8 = h7 + h7
let h9 = h8 + h8
let h10 = h9 + h9
let h11 = h10 + h10
let h12 = h11 + h11
let h13 = h12 + h12
let h14 = h13 + h13
let h15 = h14 + h14
let h16 = h15 + h15
let h17 = h16 + h16
let h18 = h17 + h17
let h19 = h18 + h18
let h20 = h19 + h19
let h21 = h20 + h20
let h22 = h21 + h21
let h23 = h22 + h22
let h24 = h23 + h23
let h25 = h24 + h24
let h26 = h25 + h25
let h27 = h26 + h26
let h28 = h27 + h27
let h29 = h28 + h28
let h30 = h29 + h29
let h31 = h30 + h30
let h32 = h31 + h31
let h33 = h32 + h32
let h34 = h33 + h33
let h35 = h34 + h34
let h36 = h35 + h35
let h37 = h36 + h36
let h38 = h37 + h37
let h39 = h38 + h38
let h40 = h39 + h39
let h41 = h40 + h40
let h42 = h41 + h41
let h43 = h42 + h42
let h44 = h43 + h43
let h45 = h44 + h44
let h46 = h45 + h45
let h47 = h46 + h46
let h48 = h47 + h47
let h49 = h48 + h48
let h50 = h49 + h49
let h51 = h50 + h50
let h52 = h51 + h51
let h53 = h52 + h52
let h54 = h53 + h53
let h55 = h54 + h54
let h56 = h55 + h55
let h57 = h56 + h56
let h58 = h57 + h57
let h59 = h58 + h58
let h60 = h59 + h59
min G max D: E[log h60]  nonsaturating
