# exit: 0
# Not an error: a value used twice, 60 times over (h1 = h0 + h0 ...). The
# compiler used to walk (and lower) it once per path: 2^60 times, a hang.
z ~ normal(4)
net N(x: [4]) -> [4] {
    h0 = dense(x, 4)
    h1 = h0 + h0
    h2 = h1 + h1
    h3 = h2 + h2
    h4 = h3 + h3
    h5 = h4 + h4
    h6 = h5 + h5
    h7 = h6 + h6
    h8 = h7 + h7
    h9 = h8 + h8
    h10 = h9 + h9
    h11 = h10 + h10
    h12 = h11 + h11
    h13 = h12 + h12
    h14 = h13 + h13
    h15 = h14 + h14
    h16 = h15 + h15
    h17 = h16 + h16
    h18 = h17 + h17
    h19 = h18 + h18
    h20 = h19 + h19
    h21 = h20 + h20
    h22 = h21 + h21
    h23 = h22 + h22
    h24 = h23 + h23
    h25 = h24 + h24
    h26 = h25 + h25
    h27 = h26 + h26
    h28 = h27 + h27
    h29 = h28 + h28
    h30 = h29 + h29
    h31 = h30 + h30
    h32 = h31 + h31
    h33 = h32 + h32
    h34 = h33 + h33
    h35 = h34 + h34
    h36 = h35 + h35
    h37 = h36 + h36
    h38 = h37 + h37
    h39 = h38 + h38
    h40 = h39 + h39
    h41 = h40 + h40
    h42 = h41 + h41
    h43 = h42 + h42
    h44 = h43 + h43
    h45 = h44 + h44
    h46 = h45 + h45
    h47 = h46 + h46
    h48 = h47 + h47
    h49 = h48 + h48
    h50 = h49 + h49
    h51 = h50 + h50
    h52 = h51 + h51
    h53 = h52 + h52
    h54 = h53 + h53
    h55 = h54 + h54
    h56 = h55 + h55
    h57 = h56 + h56
    h58 = h57 + h57
    h59 = h58 + h58
    h60 = h59 + h59
    h60
}
min N: E[sum(N(z))]
