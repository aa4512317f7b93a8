print("devicecred: not yet")
