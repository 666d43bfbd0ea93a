print("convrelu")
