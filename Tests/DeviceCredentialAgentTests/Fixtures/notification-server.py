#!/usr/bin/python3
# A freedesktop notification server for the agent's tests, on the session bus of the environment.
# Records every Notify and CloseNotification call as one JSON line in LOG, and answers each
# notification the way --answer says: clicks "approve" or "deny" (ActionInvoked, then
# NotificationClosed), or leaves it open ("none"); a test clicks later through the Click method of
# org.devicecred.TestNotifications. --markup adds the body-markup capability; --no-actions leaves out
# the actions capability, as servers without buttons do. Prints "ready" once it owns the name.
import argparse
import json
import sys

import dbus
import dbus.service
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib

NAME = "org.freedesktop.Notifications"
CONTROL = "org.devicecred.TestNotifications"
PATH = "/org/freedesktop/Notifications"


class Server(dbus.service.Object):
    def __init__(self, bus, log, answer, markup, actions):
        super().__init__(bus, PATH)
        self.actions = actions
        self.log = log
        self.answer = answer
        self.markup = markup
        self.next_id = 1

    def record(self, entry):
        with open(self.log, "a") as f:
            f.write(json.dumps(entry) + "\n")

    @dbus.service.method(NAME, in_signature="susssasa{sv}i", out_signature="u")
    def Notify(self, app, replaces, icon, summary, body, actions, hints, timeout):
        nid = self.next_id
        self.next_id += 1
        self.record({
            "call": "Notify", "id": nid, "app": str(app), "summary": str(summary), "body": str(body),
            "actions": [str(a) for a in actions], "timeout": int(timeout),
            "urgency": int(hints.get("urgency", -1)),
            "challengeId": str(hints.get("x-devicecred-challenge-id", "")),
        })
        # The fatigue guard's warning (Deny all, Show anyway) is left for the test to click.
        if self.answer in ("approve", "deny", "report") and "deny-all" not in actions:
            GLib.idle_add(self.click, nid, self.answer)
        return dbus.UInt32(nid)

    def click(self, nid, key):
        self.ActionInvoked(dbus.UInt32(nid), key)
        self.NotificationClosed(dbus.UInt32(nid), dbus.UInt32(2))
        return False

    @dbus.service.method(CONTROL, in_signature="us", out_signature="")
    def Click(self, nid, key):
        self.click(nid, str(key))

    @dbus.service.method(NAME, in_signature="u", out_signature="")
    def CloseNotification(self, nid):
        self.record({"call": "CloseNotification", "id": int(nid)})
        self.NotificationClosed(dbus.UInt32(nid), dbus.UInt32(3))

    @dbus.service.method(NAME, in_signature="", out_signature="as")
    def GetCapabilities(self):
        return (["actions"] if self.actions else []) + ["body"] + (["body-markup"] if self.markup else [])

    @dbus.service.method(NAME, in_signature="", out_signature="ssss")
    def GetServerInformation(self):
        return ("devicecred-test", "devicecred", "1", "1.2")

    @dbus.service.signal(NAME, signature="us")
    def ActionInvoked(self, nid, key):
        pass

    @dbus.service.signal(NAME, signature="uu")
    def NotificationClosed(self, nid, reason):
        pass


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--log", required=True)
    parser.add_argument("--answer", choices=["approve", "deny", "report", "none"], default="none")
    parser.add_argument("--markup", action="store_true")
    parser.add_argument("--no-actions", action="store_true")
    args = parser.parse_args()
    DBusGMainLoop(set_as_default=True)
    bus = dbus.SessionBus()
    server = Server(bus, args.log, args.answer, args.markup, not args.no_actions)

    # A server killed just before may still hold the name until the bus notices: queue for it, and say
    # "ready" once the bus hands it over.
    def acquired(name):
        if name == NAME:
            print("ready", flush=True)

    bus.add_signal_receiver(acquired, signal_name="NameAcquired", dbus_interface="org.freedesktop.DBus")
    bus.request_name(NAME, 0)
    loop = GLib.MainLoop()
    loop.run()


if __name__ == "__main__":
    main()
