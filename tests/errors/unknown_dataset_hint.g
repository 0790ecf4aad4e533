# A misspelt dataset: minst.
data x ~ minst(train)
