# The encoder declares outputs mu and logvar but never assigns logvar.
data x ~ mnist(train)
net Enc(x: [1, 28, 28]) -> (mu: [20], logvar: [20]) {
    h = x -> flatten -> dense(400) -> relu
    mu = dense(h, 20)
}
let mu, logvar = Enc(x)
min Enc: E[kl_normal(mu, logvar)]
