print("devicecred-agent: not yet")
