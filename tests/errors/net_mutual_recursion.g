# Two nets that call each other: A -> B -> A.
z ~ normal(10)
net A(z: [10]) -> [10] { dense(10) -> B }
net B(z: [10]) -> [10] { dense(10) -> A }
min A, B: E[sum(A(z))]
