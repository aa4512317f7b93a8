print("devicecred-server: not yet")
