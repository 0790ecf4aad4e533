# A call whose ')' is missing: the error is at the end of the line, and the
# rest of the file is still checked (the next line's mistake is reported too).
data x ~ mnist(train
z ~ normall(100)
