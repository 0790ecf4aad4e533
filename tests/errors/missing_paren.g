# A call whose ')' is missing. Inside ( ) a new line does not end the
# declaration, so the parser notices on the next line; a note says which
# '(' is left open.
data x ~ mnist(train
z ~ normall(100)
