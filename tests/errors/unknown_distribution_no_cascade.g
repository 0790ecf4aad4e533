# A misspelt distribution: one error. The name it declares is still bound
# (to nothing), so its uses below are not reported again as unknown names.
z ~ nromal(4)

net G(z: [4]) -> [4] { dense(4) }

min G: E[sum(G(z)^2)]
