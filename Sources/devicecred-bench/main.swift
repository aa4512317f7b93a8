print("devicecred-bench: not yet")
