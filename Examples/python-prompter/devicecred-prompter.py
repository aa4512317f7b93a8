#!/usr/bin/python3
"""A DeviceCredential prompter written in Python with GIO: the model for an app that asks the person
about push sign-ins instead of the agent's own notification.

It registers with the agent (io.github.DeviceCredential.Agent1.RegisterPrompter, like a polkit
authentication agent) and serves io.github.DeviceCredential.Prompter1 on its object: the agent calls
Ask(challengeId, context) and waits for the answer; it calls Cancel(challengeId) when the question is
withdrawn (answered elsewhere, expired, asked again). The agent signs and sends the answer itself, and
asks a TPM key's PIN with its own PIN prompter: no secret ever crosses the bus. When this program leaves
the bus (quits, crashes), the agent asks with its own prompter at once, for a question in flight too.

    devicecred-prompter.py                 # asks on this terminal: a (a 42 with a number), d, Enter
    devicecred-prompter.py --answer deny   # answers every question by itself (demos, tests)

Needs python3-gi and gir1.2-glib-2.0 (Debian). See Docs/agent.md, "Write your own prompter".
"""

import argparse
import signal
import sys

from gi.repository import Gio, GLib

AGENT_NAME = "io.github.DeviceCredential.Agent"
AGENT_PATH = "/io/github/DeviceCredential/Agent"
AGENT_INTERFACE = "io.github.DeviceCredential.Agent1"
# Any object path of ours: the agent calls it on this connection's unique name only.
PROMPTER_PATH = "/io/github/DeviceCredential/ExamplePrompter"
PROMPTER_XML = """
<node>
  <interface name="io.github.DeviceCredential.Prompter1">
    <method name="Ask">
      <arg name="challengeId" type="s" direction="in"/>
      <arg name="context" type="a{sv}" direction="in"/>
      <arg name="answer" type="s" direction="out"/>
      <arg name="verificationCode" type="s" direction="out"/>
    </method>
    <method name="Cancel">
      <arg name="challengeId" type="s" direction="in"/>
    </method>
  </interface>
</node>
"""


def safe(value, limit=200):
    """Outside text (the browser, the server: hostile until proven otherwise) as one printable line.

    Control and format characters (ESC, newlines, bidi overrides...) become visible escapes, so a
    User-Agent cannot move the cursor, recolour or retitle the terminal, or fake another line.
    A GUI app does the same for its toolkit: plain text, never markup (GTK: escape for Pango)."""
    text = "".join(c if c.isprintable() else "\\u%04x" % ord(c) if ord(c) <= 0xFFFF else "\\U%08x" % ord(c)
                   for c in str(value))
    return text if len(text) <= limit else text[:limit] + "..."


class Prompter:
    def __init__(self, connection, answer):
        self.connection = connection
        self.answer = answer  # "ask", or the fixed answer: approve, deny, dismiss, hold (never answers)
        self.agent_owner = None  # the agent's unique name: the only caller we answer
        self.questions = {}  # challengeId -> (the Ask invocation waiting for its answer, needs a code)
        self.asking = None  # the challengeId the terminal asks about now

    # The agent comes and goes (restarts, D-Bus activation): register each time it appears.
    def agent_appeared(self, connection, name, owner):
        self.agent_owner = owner
        connection.call(AGENT_NAME, AGENT_PATH, AGENT_INTERFACE, "RegisterPrompter",
                        GLib.Variant("(o)", (PROMPTER_PATH,)), None, Gio.DBusCallFlags.NONE, -1, None,
                        self.registered)

    def agent_vanished(self, connection, name):
        self.agent_owner = None
        self.questions.clear()
        say("the agent is not running; waiting for it")

    def registered(self, connection, result):
        try:
            connection.call_finish(result)
            say("registered as the agent's prompter")
        except GLib.Error as error:
            # PrompterRegistered: another app is the prompter; one at a time.
            say("cannot register: " + safe(error.message))
            loop.quit()

    def method_call(self, connection, sender, path, interface, method, parameters, invocation):
        # Anyone on the bus can call us; only the agent's questions are real.
        if sender != self.agent_owner:
            invocation.return_dbus_error("org.freedesktop.DBus.Error.AccessDenied", "only the agent asks")
            return
        if method == "Ask":
            challenge_id, context = parameters.unpack()
            self.questions[challenge_id] = (invocation, bool(context.get("needsVerificationCode")))
            self.show(challenge_id, context)
            if self.answer == "ask":
                self.ask_next()
            elif self.answer != "hold":
                self.reply(challenge_id, self.answer)
        elif method == "Cancel":
            (challenge_id,) = parameters.unpack()
            if self.questions.pop(challenge_id, None) is not None:
                say("cancelled " + safe(challenge_id))
                if self.asking == challenge_id:
                    self.asking = None
                    self.ask_next()
            invocation.return_value(None)

    def show(self, challenge_id, context):
        say("asked about " + safe(challenge_id))
        for key, label in [("actionCode", "action"), ("userId", "user"), ("ipAddress", "from"),
                           ("browser", "browser"), ("userAgent", "user agent"), ("profile", "profile")]:
            if key in context:
                say("  %s: %s" % (label, safe(context[key])))
        if "expiresAt" in context:
            say("  expires: " + GLib.DateTime.new_from_unix_local(context["expiresAt"]).format("%H:%M:%S"))
        if context.get("needsVerificationCode"):
            say("  approving needs the number the sign-in page shows")

    def reply(self, challenge_id, answer, code=""):
        question = self.questions.pop(challenge_id, None)
        if question is not None:
            question[0].return_value(GLib.Variant("(ss)", (answer, code)))
            say("answered %s %s" % (answer, safe(challenge_id)))

    # Terminal mode: one question at a time, read without blocking the main loop.
    def ask_next(self):
        if self.asking is None and self.questions:
            self.asking = next(iter(self.questions))
            code = " NUMBER" if self.questions[self.asking][1] else ""
            print("approve %s? [a%s / d / Enter: dismiss] " % (safe(self.asking), code), end="", flush=True)

    def typed(self, source, condition):
        line = sys.stdin.readline()
        if not line:  # end of input: stop reading, answer nothing more
            return GLib.SOURCE_REMOVE
        if self.asking is not None:
            words = line.split()
            choice = words[0].lower() if words else ""
            answer = "approve" if choice.startswith("a") else "deny" if choice.startswith("d") else "dismiss"
            code = words[1] if answer == "approve" and len(words) > 1 else ""
            self.reply(self.asking, answer, code)
            self.asking = None
            self.ask_next()
        return GLib.SOURCE_CONTINUE


def say(line):
    print(line, flush=True)


def main():
    parser = argparse.ArgumentParser(description="A DeviceCredential prompter (example).")
    parser.add_argument("--answer", choices=["ask", "approve", "deny", "dismiss", "hold"], default="ask",
                        help="ask on the terminal (default), or give this answer to every question "
                             "(hold: never answer, until the agent cancels)")
    arguments = parser.parse_args()

    connection = Gio.bus_get_sync(Gio.BusType.SESSION, None)  # $DBUS_SESSION_BUS_ADDRESS
    prompter = Prompter(connection, arguments.answer)
    interface = Gio.DBusNodeInfo.new_for_xml(PROMPTER_XML).interfaces[0]
    connection.register_object(PROMPTER_PATH, interface, prompter.method_call, None, None)
    Gio.bus_watch_name_on_connection(connection, AGENT_NAME, Gio.BusNameWatcherFlags.NONE,
                                     prompter.agent_appeared, prompter.agent_vanished)
    if arguments.answer == "ask":
        GLib.io_add_watch(GLib.IOChannel.unix_new(sys.stdin.fileno()), GLib.PRIORITY_DEFAULT, GLib.IO_IN,
                          prompter.typed)

    # Leaving on SIGTERM/SIGINT needs no unregistering: the agent sees this connection go.
    for number in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, number, loop.quit)
    loop.run()


loop = GLib.MainLoop()

if __name__ == "__main__":
    main()
