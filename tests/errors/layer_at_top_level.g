# A layer with weights outside any net.
data x ~ mnist(train)
let h = x -> flatten -> dense(10)
