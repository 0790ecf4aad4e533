# Characters pasted from a document: curly quotes, a non-breaking space, a
# Greek letter. Each is one error (not one per byte), with the ASCII meant.
data x ~ idx(“data/my_set/”)
let a = 1
let μ = 2
