# batchnorm has no second derivative in genc: a grad through it, which
# the phase would differentiate again, is refused.
x ~ normal(5)
net F(x: [5]) -> [1] { dense(4) -> batchnorm -> dense(1) }
min F: E[norm(grad(F(x), x))]
