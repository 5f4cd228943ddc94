print("gcgap")
