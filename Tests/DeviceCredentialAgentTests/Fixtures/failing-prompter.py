#!/usr/bin/python3
"""The example prompter (Examples/python-prompter/devicecred-prompter.py, imported as it is) with Ask
answered by a D-Bus error: the agent must ask with its own prompter instead."""

import importlib.util
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
path = os.path.join(here, "..", "..", "..", "Examples", "python-prompter", "devicecred-prompter.py")
spec = importlib.util.spec_from_file_location("devicecred_prompter", path)
example = importlib.util.module_from_spec(spec)
spec.loader.exec_module(example)


class FailingPrompter(example.Prompter):
    def method_call(self, connection, sender, path, interface, method, parameters, invocation):
        if method == "Ask":
            example.say("failing the question")
            invocation.return_dbus_error("org.example.Error.Broken", "this app is broken \x1b[2J")
        else:
            super().method_call(connection, sender, path, interface, method, parameters, invocation)


example.Prompter = FailingPrompter
sys.argv = [path, "--answer", "hold"]
example.main()
